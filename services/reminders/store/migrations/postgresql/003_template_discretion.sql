-- Clinic admins' decisions to exempt a template from the discretion check (SetTemplateDiscretion). A template
-- without a row, or with opted_out false, is checked; the decision may precede the template's registration.
-- The template's own `discreet` column is no longer read: this table is the only switch.
CREATE TABLE IF NOT EXISTS reminder_template_discretion (
  clinic_id   text        NOT NULL,
  template_id text        NOT NULL,
  opted_out   boolean     NOT NULL,
  updated_by  text        NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, template_id)
);
