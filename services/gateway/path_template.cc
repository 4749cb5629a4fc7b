#include "services/gateway/path_template.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem::gateway {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// `a`, `a.b`, `a_b.c1`: proto field names joined by dots.
bool IsFieldPath(absl::string_view path) {
  bool at_start = true;
  for (char c : path) {
    if (at_start) {
      if (!IsIdentStart(c)) return false;
      at_start = false;
    } else if (c == '.') {
      at_start = true;
    } else if (!IsIdentChar(c)) {
      return false;
    }
  }
  return !at_start;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status TemplateError(absl::string_view text, size_t position, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("path template \"", text, "\": ", problem, " at character ", position + 1));
}

// Compares a raw request segment with a template literal, decoding only when the segment has escapes.
bool SegmentEquals(absl::string_view raw, absl::string_view literal) {
  if (raw.find('%') == absl::string_view::npos) return raw == literal;
  std::string decoded;
  return PercentDecode(raw, &decoded) && decoded == literal;
}

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  PathTemplate result;
  result.text_ = std::string(text);
  if (text.empty() || text[0] != '/') return TemplateError(text, 0, "must start with '/'");
  absl::flat_hash_set<std::string> seen_variables;
  size_t pos = 1;
  while (true) {
    if (pos >= text.size()) return TemplateError(text, pos, "empty segment");
    if (result.segments_.size() == kMaxPathSegments) {
      return TemplateError(text, pos, absl::StrCat("more than ", kMaxPathSegments, " segments"));
    }
    Segment segment;
    if (text[pos] == '{') {
      size_t close = text.find('}', pos);
      if (close == absl::string_view::npos) return TemplateError(text, pos, "unclosed '{'");
      absl::string_view inner = text.substr(pos + 1, close - pos - 1);
      if (inner.find('=') != absl::string_view::npos) {
        return TemplateError(text, pos, "variable patterns ({field=pattern}) are not supported");
      }
      if (!IsFieldPath(inner)) {
        return TemplateError(text, pos + 1,
                             "a variable must be a field path such as {client_id} or {goal.id}");
      }
      if (!seen_variables.insert(std::string(inner)).second) {
        return TemplateError(text, pos + 1, absl::StrCat("variable {", inner, "} appears twice"));
      }
      segment.is_variable = true;
      segment.text = std::string(inner);
      pos = close + 1;
      ++result.variable_count_;
    } else {
      size_t end = pos;
      while (end < text.size() && IsUnreserved(text[end])) ++end;
      if (end == pos) {
        if (text[pos] == '/') return TemplateError(text, pos, "empty segment");
        if (text[pos] == '*') return TemplateError(text, pos, "wildcards are not supported");
        return TemplateError(text, pos, "unexpected character");
      }
      segment.text = std::string(text.substr(pos, end - pos));
      pos = end;
    }
    result.segments_.push_back(std::move(segment));
    if (pos == text.size()) break;
    if (text[pos] == '/') {
      ++pos;
      continue;
    }
    if (text[pos] == ':') {
      absl::string_view verb = text.substr(pos + 1);
      if (verb.empty()) return TemplateError(text, pos, "empty custom verb after ':'");
      for (size_t i = 0; i < verb.size(); ++i) {
        if (!IsUnreserved(verb[i]))
          return TemplateError(text, pos + 1 + i, "unexpected character in custom verb");
      }
      result.verb_ = std::string(verb);
      break;
    }
    return TemplateError(
        text, pos,
        result.segments_.back().is_variable ? "a variable must be a whole segment" : "unexpected character");
  }
  return result;
}

std::string PathTemplate::Shape() const {
  std::string shape;
  for (const Segment& segment : segments_) {
    absl::StrAppend(&shape, "/", segment.is_variable ? "{}" : segment.text);
  }
  if (!verb_.empty()) absl::StrAppend(&shape, ":", verb_);
  return shape;
}

bool PathTemplate::Match(absl::string_view path, Bindings* bindings) const {
  PathSegments raw;
  if (!SplitPath(path, &raw) || raw.size() != segments_.size()) return false;
  if (!verb_.empty()) {
    absl::string_view& last = raw.back();
    if (last.size() <= verb_.size() + 1 || last[last.size() - verb_.size() - 1] != ':' ||
        last.substr(last.size() - verb_.size()) != verb_) {
      return false;
    }
    last.remove_suffix(verb_.size() + 1);
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (segments_[i].is_variable) {
      if (!IsValidPercentEncoding(raw[i])) return false;
    } else if (!SegmentEquals(raw[i], segments_[i].text)) {
      return false;
    }
  }
  bindings->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!segments_[i].is_variable) continue;
    Binding binding;
    binding.field_path = segments_[i].text;
    PercentDecode(raw[i], &binding.value);
    bindings->push_back(std::move(binding));
  }
  return true;
}

bool SplitPath(absl::string_view path, PathSegments* segments) {
  segments->clear();
  if (path.empty() || path[0] != '/') return false;
  size_t start = 1;
  while (true) {
    if (segments->size() == kMaxPathSegments) return false;
    size_t slash = path.find('/', start);
    absl::string_view segment =
        path.substr(start, slash == absl::string_view::npos ? absl::string_view::npos : slash - start);
    if (segment.empty()) return false;
    segments->push_back(segment);
    if (slash == absl::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsValidPercentEncoding(absl::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') continue;
    if (i + 2 >= raw.size()) return false;
    if (HexValue(raw[i + 1]) < 0 || HexValue(raw[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

bool PercentDecode(absl::string_view raw, std::string* out) {
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out->push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size()) return false;
    int high = HexValue(raw[i + 1]);
    int low = HexValue(raw[i + 2]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

RequestTarget SplitRequestTarget(absl::string_view target) {
  size_t hash = target.find('#');
  if (hash != absl::string_view::npos) target = target.substr(0, hash);
  size_t question = target.find('?');
  if (question == absl::string_view::npos) return {target, absl::string_view()};
  return {target.substr(0, question), target.substr(question + 1)};
}

}  // namespace tandem::gateway
