#ifndef TANDEM_COMMON_METRICS_METRICS_H_
#define TANDEM_COMMON_METRICS_METRICS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace tandem::metrics {

// Prometheus metrics in the text exposition format (version 0.0.4). Written here because Debian packages no C++
// Prometheus client; what Tandem needs is small: counters, gauges and histograms with labels, rendered on
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

// A named metric with labels; children are created on first use and live as long as the registry.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~Family() = default;

  // The child for these label values (same count and order as the label names). Callers on hot paths keep the
  // returned reference.
  T& WithLabels(const std::vector<std::string>& values);

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

  // Registering the same name twice returns the first family (so independent modules can share one).
  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
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
  auto& child = children_[values];
  if (child == nullptr) child = NewChild();
  return *child;
}

}  // namespace tandem::metrics

#endif  // TANDEM_COMMON_METRICS_METRICS_H_
