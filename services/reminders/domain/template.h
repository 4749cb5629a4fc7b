#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/reminders/domain/discretion.h"

namespace tandem::reminders {

// Caller-supplied template parameters, by name.
using TemplateParams = absl::flat_hash_map<std::string, std::string>;

// What a template is rendered against besides the caller's parameters: the due time, shown in the
// recipient's zone (load it with tandem::LoadTimeZone).
struct RenderContext {
  absl::Time due;
  absl::TimeZone zone;
};

// Built-in parameters, filled from the RenderContext; callers may not supply them.
//   {{due_local_time}}   "Tue 14 Jul, 18:00"   (English abbreviations, 24-hour clock)
//   {{due_local_date}}   "Tue 14 Jul"
//   {{due_local_clock}}  "18:00"
inline constexpr absl::string_view kDueLocalTime = "due_local_time";
inline constexpr absl::string_view kDueLocalDate = "due_local_date";
inline constexpr absl::string_view kDueLocalClock = "due_local_clock";
bool IsBuiltinParameter(absl::string_view name);

// A reminder text with `{{name}}` placeholders, parsed once at registration and rendered per reminder.
// Names are ASCII letters, digits and '_' (not starting with a digit, at most 64), optionally padded by
// spaces inside the braces. Any other brace is an error, so a typo never reaches a recipient as literal
// braces. Values are inserted verbatim and never expanded again. Immutable and thread-safe.
class ReminderTemplate {
 public:
  static constexpr size_t kMaxTemplateBytes = 4096;
  static constexpr size_t kMaxParameterValueBytes = 512;

  // INVALID_ARGUMENT for an empty or oversized text, invalid UTF-8, unbalanced or stray braces, or a
  // placeholder that is not a plain name; the message gives the byte offset, never the text.
  static absl::StatusOr<ReminderTemplate> Parse(absl::string_view text, bool discreet = true);

  // Parse, then, for a discreet template, refuse literal text containing a denied word
  // (FAILED_PRECONDITION, see DiscretionPolicy::CheckDiscreet). Placeholders are checked both as word
  // breaks and as nothing, so "the{{x}}rapy" is refused too.
  static absl::StatusOr<ReminderTemplate> Register(absl::string_view text, bool discreet,
                                                   const DiscretionPolicy& policy);

  bool discreet() const { return discreet_; }

  // Distinct parameter names the caller must supply (built-ins excluded), in order of first use.
  const std::vector<std::string>& required_parameters() const { return required_; }

  // Checks `params` without rendering (at schedule time): INVALID_ARGUMENT with one field violation
  // `params.<name>` per problem: every missing parameter, a built-in name supplied, a value that is too long,
  // not UTF-8 or holds control characters. Names only, never values. Unused extra parameters are ignored.
  absl::Status ValidateParameters(const TemplateParams& params) const;

  // ValidateParameters, then the text.
  absl::StatusOr<std::string> Render(const TemplateParams& params, const RenderContext& context) const;

  // Render, then, for a discreet template, check the rendered text and the sender name against `policy`
  // (FAILED_PRECONDITION marked IsDiscretionViolation: dead-letter with reason "discretion").
  absl::StatusOr<std::string> RenderForSending(const TemplateParams& params, const RenderContext& context,
                                               absl::string_view sender_name,
                                               const DiscretionPolicy& policy) const;

 private:
  struct Segment {
    bool is_placeholder;
    std::string text;  // literal text, or the parameter name
  };

  ReminderTemplate(std::vector<Segment> segments, bool discreet);

  std::vector<Segment> segments_;
  std::vector<std::string> required_;
  bool discreet_;
};

// "Tue 14 Jul, 18:00" / "Tue 14 Jul" / "18:00" for `t` in `zone` (what the built-ins expand to).
std::string FormatLocalDateTime(absl::Time t, const absl::TimeZone& zone);
std::string FormatLocalDate(absl::Time t, const absl::TimeZone& zone);
std::string FormatLocalClock(absl::Time t, const absl::TimeZone& zone);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_TEMPLATE_H_
