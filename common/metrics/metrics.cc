#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tandem::metrics {
namespace {

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return absl::StrFormat("%.15g", v);
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    parts.push_back(absl::StrCat(names[i], "=\"", EscapeLabelValue(values[i]), "\""));
  }
  if (!extra_name.empty()) parts.push_back(absl::StrCat(extra_name, "=\"", extra_value, "\""));
  if (parts.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) absl::StrAppend(&out, i == 0 ? "" : ",", parts[i]);
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

void Counter::Increment(double by) { AtomicAdd(value_, by); }

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t index = std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  snapshot.count = running;
  return snapshot;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double>* const kBuckets =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *kBuckets;
}

Registry& Registry::Default() {
  static Registry* const kRegistry = new Registry();
  return *kRegistry;
}

CounterFamily& Registry::AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  for (auto& family : counters_) {
    if (family->name() == name) return *family;
  }
  counters_.push_back(std::make_unique<CounterFamily>(name, help, std::move(label_names)));
  return *counters_.back();
}

GaugeFamily& Registry::AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  for (auto& family : gauges_) {
    if (family->name() == name) return *family;
  }
  gauges_.push_back(std::make_unique<GaugeFamily>(name, help, std::move(label_names)));
  return *gauges_.back();
}

HistogramFamily& Registry::AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names, std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  for (auto& family : histograms_) {
    if (family->name() == name) return *family;
  }
  std::sort(bounds.begin(), bounds.end());
  histograms_.push_back(
      std::make_unique<HistogramFamily>(name, help, std::move(label_names), std::move(bounds)));
  return *histograms_.back();
}

void Registry::AddCallbackGauge(const std::string& name, const std::string& help,
                                std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  callback_gauges_.push_back({name, help, std::move(read)});
}

std::string Registry::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& family : counters_) {
    Header(out, family->name(), family->help(), "counter");
    family->ForEach([&](const std::vector<std::string>& values, const Counter& counter) {
      absl::StrAppend(&out, family->name(), Labels(family->label_names(), values), " ",
                      FormatValue(counter.value()), "\n");
    });
  }
  for (const auto& family : gauges_) {
    Header(out, family->name(), family->help(), "gauge");
    family->ForEach([&](const std::vector<std::string>& values, const Gauge& gauge) {
      absl::StrAppend(&out, family->name(), Labels(family->label_names(), values), " ",
                      FormatValue(gauge.value()), "\n");
    });
  }
  for (const auto& gauge : callback_gauges_) {
    Header(out, gauge.name, gauge.help, "gauge");
    absl::StrAppend(&out, gauge.name, " ", FormatValue(gauge.read()), "\n");
  }
  for (const auto& family : histograms_) {
    Header(out, family->name(), family->help(), "histogram");
    const auto& bounds = family->bounds();
    family->ForEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
      Histogram::Snapshot snapshot = histogram.Read();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, family->name(), "_bucket", Labels(family->label_names(), values, "le", le), " ",
                        snapshot.cumulative[i], "\n");
      }
      absl::StrAppend(&out, family->name(), "_sum", Labels(family->label_names(), values), " ",
                      FormatValue(snapshot.sum), "\n");
      absl::StrAppend(&out, family->name(), "_count", Labels(family->label_names(), values), " ",
                      snapshot.count, "\n");
    });
  }
  // A family listed here met its label-set cap: one of its labels takes more values than it should.
  constexpr char kOverflowName[] = "tandem_metrics_label_overflow_total";
  Header(out, kOverflowName, "Label sets folded into a metric's overflow series because it reached its cap.",
         "counter");
  auto overflow = [&](const auto& family) {
    if (family->overflowed() == 0) return;
    absl::StrAppend(&out, kOverflowName, Labels({"metric"}, {family->name()}), " ", family->overflowed(),
                    "\n");
  };
  for (const auto& family : counters_) overflow(family);
  for (const auto& family : gauges_) overflow(family);
  for (const auto& family : histograms_) overflow(family);
  return out;
}

}  // namespace tandem::metrics
