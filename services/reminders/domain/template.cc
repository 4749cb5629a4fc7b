#include "services/reminders/domain/template.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxNameLength = 64;

bool IsParameterName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (absl::ascii_isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::Status SyntaxError(absl::string_view what, size_t offset) {
  return absl::InvalidArgumentError(absl::StrCat("template: ", what, " at byte ", offset));
}

absl::CivilMinute LocalMinute(absl::Time t, const absl::TimeZone& zone) {
  return absl::ToCivilMinute(t, zone);
}

absl::string_view WeekdayName(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return "Mon";
    case absl::Weekday::tuesday:
      return "Tue";
    case absl::Weekday::wednesday:
      return "Wed";
    case absl::Weekday::thursday:
      return "Thu";
    case absl::Weekday::friday:
      return "Fri";
    case absl::Weekday::saturday:
      return "Sat";
    case absl::Weekday::sunday:
      return "Sun";
  }
  return "";
}

absl::string_view MonthName(int month) {
  static constexpr absl::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return month >= 1 && month <= 12 ? kMonths[month - 1] : "";
}

}  // namespace

bool IsBuiltinParameter(absl::string_view name) {
  return name == kDueLocalTime || name == kDueLocalDate || name == kDueLocalClock;
}

std::string FormatLocalDate(absl::Time t, const absl::TimeZone& zone) {
  const absl::CivilMinute local = LocalMinute(t, zone);
  return absl::StrCat(WeekdayName(absl::GetWeekday(local)), " ", local.day(), " ", MonthName(local.month()));
}

std::string FormatLocalClock(absl::Time t, const absl::TimeZone& zone) {
  const absl::CivilMinute local = LocalMinute(t, zone);
  return absl::StrFormat("%02d:%02d", local.hour(), local.minute());
}

std::string FormatLocalDateTime(absl::Time t, const absl::TimeZone& zone) {
  return absl::StrCat(FormatLocalDate(t, zone), ", ", FormatLocalClock(t, zone));
}

ReminderTemplate::ReminderTemplate(std::vector<Segment> segments, bool discreet)
    : segments_(std::move(segments)), discreet_(discreet) {
  absl::flat_hash_set<std::string> seen;
  for (const Segment& segment : segments_) {
    if (segment.is_placeholder && !IsBuiltinParameter(segment.text) && seen.insert(segment.text).second) {
      required_.push_back(segment.text);
    }
  }
}

absl::StatusOr<ReminderTemplate> ReminderTemplate::Parse(absl::string_view text, bool discreet) {
  if (text.empty()) return absl::InvalidArgumentError("template: text is empty");
  if (text.size() > kMaxTemplateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("template: text is longer than ", kMaxTemplateBytes, " bytes"));
  }
  if (!text::IsValidUtf8(text)) return absl::InvalidArgumentError("template: text is not valid UTF-8");
  if (text::HasControlCharacters(text, "\n")) {
    return absl::InvalidArgumentError("template: text holds control characters other than newline");
  }

  std::vector<Segment> segments;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      return SyntaxError(text.substr(i, 2) == "}}" ? "'}}' without a matching '{{'" : "stray '}'", i);
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (text.substr(i, 2) != "{{") return SyntaxError("stray '{' (literal braces are not allowed)", i);
    const size_t close = text.find("}}", i + 2);
    const size_t next_open = text.find('{', i + 2);
    if (close == absl::string_view::npos || (next_open != absl::string_view::npos && next_open < close)) {
      return SyntaxError("'{{' without a matching '}}'", i);
    }
    const absl::string_view name = absl::StripAsciiWhitespace(text.substr(i + 2, close - i - 2));
    if (!IsParameterName(name)) {
      return SyntaxError("placeholder that is not a parameter name (letters, digits, '_')", i);
    }
    if (!literal.empty()) segments.push_back({false, std::move(literal)});
    literal.clear();
    segments.push_back({true, std::string(name)});
    i = close + 2;
  }
  if (!literal.empty()) segments.push_back({false, std::move(literal)});
  return ReminderTemplate(std::move(segments), discreet);
}

absl::StatusOr<ReminderTemplate> ReminderTemplate::Register(absl::string_view text, bool discreet,
                                                            const DiscretionPolicy& policy) {
  ASSIGN_OR_RETURN(ReminderTemplate parsed, Parse(text, discreet));
  if (discreet) {
    std::string broken;  // placeholders as word breaks
    std::string joined;  // placeholders as nothing
    for (const Segment& segment : parsed.segments_) {
      if (segment.is_placeholder) {
        broken.push_back(' ');
      } else {
        absl::StrAppend(&broken, segment.text);
        absl::StrAppend(&joined, segment.text);
      }
    }
    RETURN_IF_ERROR(policy.CheckDiscreet(broken, "template text"));
    RETURN_IF_ERROR(policy.CheckDiscreet(joined, "template text"));
  }
  return parsed;
}

absl::Status ReminderTemplate::ValidateParameters(const TemplateParams& params) const {
  FieldViolations violations;
  for (const std::string& name : required_) {
    auto it = params.find(name);
    if (it == params.end()) {
      violations.Add(absl::StrCat("params.", name), "is required by the template");
      continue;
    }
    const std::string& value = it->second;
    if (value.size() > kMaxParameterValueBytes) {
      violations.Add(absl::StrCat("params.", name),
                     absl::StrCat("is longer than ", kMaxParameterValueBytes, " bytes"));
    } else if (!text::IsValidUtf8(value)) {
      violations.Add(absl::StrCat("params.", name), "is not valid UTF-8");
    } else if (text::HasControlCharacters(value)) {
      violations.Add(absl::StrCat("params.", name), "holds control characters");
    }
  }
  // Sorted so the error is the same whatever the map's order.
  std::vector<std::string> reserved;
  for (const auto& [name, value] : params) {
    if (IsBuiltinParameter(name)) reserved.push_back(name);
  }
  std::sort(reserved.begin(), reserved.end());
  for (const std::string& name : reserved) {
    violations.Add(absl::StrCat("params.", name), "is built in and may not be supplied");
  }
  return violations.ToStatus();
}

absl::StatusOr<std::string> ReminderTemplate::Render(const TemplateParams& params,
                                                     const RenderContext& context) const {
  RETURN_IF_ERROR(ValidateParameters(params));
  std::string out;
  for (const Segment& segment : segments_) {
    if (!segment.is_placeholder) {
      absl::StrAppend(&out, segment.text);
    } else if (segment.text == kDueLocalTime) {
      absl::StrAppend(&out, FormatLocalDateTime(context.due, context.zone));
    } else if (segment.text == kDueLocalDate) {
      absl::StrAppend(&out, FormatLocalDate(context.due, context.zone));
    } else if (segment.text == kDueLocalClock) {
      absl::StrAppend(&out, FormatLocalClock(context.due, context.zone));
    } else {
      absl::StrAppend(&out, params.at(segment.text));
    }
  }
  return out;
}

absl::StatusOr<std::string> ReminderTemplate::RenderForSending(const TemplateParams& params,
                                                               const RenderContext& context,
                                                               absl::string_view sender_name,
                                                               const DiscretionPolicy& policy) const {
  ASSIGN_OR_RETURN(std::string text, Render(params, context));
  if (discreet_) {
    RETURN_IF_ERROR(policy.CheckDiscreet(text, "rendered text"));
    RETURN_IF_ERROR(policy.CheckDiscreet(sender_name, "sender name"));
  }
  return text;
}

}  // namespace tandem::reminders
