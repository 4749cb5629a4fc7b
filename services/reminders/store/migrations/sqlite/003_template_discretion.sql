-- Clinic admins' decisions to exempt a template from the discretion check (SetTemplateDiscretion). A template
-- without a row, or with opted_out false, is checked; the decision may precede the template's registration.
-- The template's own `discreet` column is no longer read: this table is the only switch.
CREATE TABLE IF NOT EXISTS reminder_template_discretion (
  clinic_id   TEXT    NOT NULL,
  template_id TEXT    NOT NULL,
  opted_out   INTEGER NOT NULL,
  updated_by  TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, template_id)
);
