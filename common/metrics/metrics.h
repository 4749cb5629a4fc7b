#ifndef TANDEM_COMMON_METRICS_METRICS_H_
#define TANDEM_COMMON_METRICS_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace tandem::metrics {

// Prometheus metrics in the text exposition format (version 0.0.4). Written here because Debian packages no
// C++ Prometheus client; what Tandem needs is small: counters, gauges and histograms with labels, rendered on
// /metrics. Label values must be ids, RPC names or codes, never clinical text or names.

class Counter {
 public:
  void Increment(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double v);
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound plus +Inf, not cumulative
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

// How many distinct label sets a family keeps by default. A label value that a caller can choose (a path, a
// header) would otherwise add one series per request and grow memory, and every scrape, without bound.
inline constexpr size_t kDefaultMaxLabelSets = 1000;
// Every label of the series that label sets past a family's cap are folded into.
inline constexpr char kOverflowLabelValue[] = "_overflow";

// A named metric with labels; children are created on first use and live as long as the registry.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~Family() = default;

  // The child for these label values (same count and order as the label names). Callers on hot paths keep the
  // returned reference. Once the family holds its maximum of label sets, a new set gets the one overflow
  // child (every label kOverflowLabelValue) and the fold is counted (overflowed()).
  T& WithLabels(const std::vector<std::string>& values);

  // The cap on distinct label sets (not counting the overflow series); sets already created stay.
  void set_max_label_sets(size_t max) {
    absl::MutexLock lock(&mu_);
    max_label_sets_ = max;
  }
  // How many WithLabels calls were folded into the overflow series.
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  template <typename F>
  void ForEach(F&& f) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [values, child] : children_) f(values, *child);
  }

 protected:
  virtual std::unique_ptr<T> NewChild() = 0;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
  size_t max_label_sets_ ABSL_GUARDED_BY(mu_) = kDefaultMaxLabelSets;
  T* overflow_ ABSL_GUARDED_BY(mu_) = nullptr;  // also in children_, so it renders like any other series
  std::atomic<uint64_t> overflowed_{0};
};

class CounterFamily final : public Family<Counter> {
 public:
  using Family::Family;

 protected:
  std::unique_ptr<Counter> NewChild() override { return std::make_unique<Counter>(); }
};

class GaugeFamily final : public Family<Gauge> {
 public:
  using Family::Family;

 protected:
  std::unique_ptr<Gauge> NewChild() override { return std::make_unique<Gauge>(); }
};

class HistogramFamily final : public Family<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds)
      : Family(std::move(name), std::move(help), std::move(label_names)), bounds_(std::move(bounds)) {}
  const std::vector<double>& bounds() const { return bounds_; }

 protected:
  std::unique_ptr<Histogram> NewChild() override { return std::make_unique<Histogram>(&bounds_); }

 private:
  std::vector<double> bounds_;
};

// Default latency buckets in seconds: 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

class Registry {
 public:
  // The process-wide registry that /metrics renders.
  static Registry& Default();

  // Registering the same name twice returns the first family (so independent modules can share one). Each
  // family keeps at most kDefaultMaxLabelSets label sets unless told otherwise (Family::set_max_label_sets);
  // folds past a cap show in tandem_metrics_label_overflow_total{metric=...}.
  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds = LatencyBuckets());
  // A gauge read at scrape time (e.g. a pool's queue depth).
  void AddCallbackGauge(const std::string& name, const std::string& help, std::function<double()> read);

  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<GaugeFamily>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_ ABSL_GUARDED_BY(mu_);
  struct CallbackGauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  std::vector<CallbackGauge> callback_gauges_ ABSL_GUARDED_BY(mu_);
};

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  absl::MutexLock lock(&mu_);
  if (auto it = children_.find(values); it != children_.end()) return *it->second;
  const size_t created = children_.size() - (overflow_ != nullptr ? 1 : 0);
  if (created < max_label_sets_) {
    auto& child = children_[values];
    child = NewChild();
    return *child;
  }
  overflowed_.fetch_add(1, std::memory_order_relaxed);
  if (overflow_ == nullptr) {
    auto& child = children_[std::vector<std::string>(label_names_.size(), kOverflowLabelValue)];
    if (child == nullptr) child = NewChild();
    overflow_ = child.get();
  }
  return *overflow_;
}

}  // namespace tandem::metrics

#endif  // TANDEM_COMMON_METRICS_METRICS_H_
