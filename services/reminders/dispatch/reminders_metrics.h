#ifndef TANDEM_SERVICES_REMINDERS_DISPATCH_REMINDERS_METRICS_H_
#define TANDEM_SERVICES_REMINDERS_DISPATCH_REMINDERS_METRICS_H_

#include "common/metrics/metrics.h"

namespace tandem::reminders {

// The reminders service's own series, registered once in the default registry (served on /metrics).
struct RemindersMetrics {
  metrics::GaugeFamily& queue_depth;      // {where: waiting|queued}
  metrics::HistogramFamily& lag_seconds;  // {channel}: due time to the channel's acceptance
  metrics::CounterFamily& attempts;       // {channel, result: delivered|retry|dead}
  metrics::CounterFamily& failures;       // {channel}: failed attempts, retried or not
  metrics::CounterFamily& dead_letters;   // {reason}
  metrics::CounterFamily& scheduled;      // {channel}
  metrics::CounterFamily& index_errors;   // {operation}: Redis calls that failed (the reconciler repairs)

  static RemindersMetrics& Get();
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DISPATCH_REMINDERS_METRICS_H_
