#include "services/reminders/dispatch/dispatcher.h"

#include <algorithm>
#include <utility>

#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/dispatch/reminders_metrics.h"
#include "services/reminders/domain/delivery.h"

namespace tandem::reminders {
namespace {

constexpr int kMoveLimit = 1000;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

std::string ChannelLabel(const ReminderProto& reminder) {
  auto kind = ChannelKindOf(reminder.channel());
  return kind.has_value() ? std::string(ChannelKindName(*kind)) : "unknown";
}

// Codes only: a Redis or database message may quote a key or a value.
void LogFailure(absl::string_view event, const absl::Status& status) {
  log::Warn(event, {{"code", absl::StatusCodeToString(status.code())}});
}

}  // namespace

Dispatcher::Dispatcher(ReminderStore& store, DueIndex& index, Channels channels,
                       const DiscretionPolicy& policy, const Backoff& backoff, const Clock& clock,
                       DispatcherOptions options)
    : store_(store),
      index_(index),
      channels_(std::move(channels)),
      policy_(policy),
      backoff_(backoff),
      clock_(clock),
      options_(std::move(options)),
      reconciler_(store, index) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  if (auto reconciled = ReconcileNow(); !reconciled.ok()) {
    LogFailure("reminders_reconcile_failed", reconciled.status());
  }
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { ConsumeLoop(i); });
  threads_.emplace_back([this] { HousekeepingLoop(); });
}

void Dispatcher::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool Dispatcher::Sleep(absl::Duration d) { return !stopping_.WaitForNotificationWithTimeout(d); }

void Dispatcher::ConsumeLoop(int index) {
  const std::string consumer = absl::StrCat(options_.worker_id, "/", index);
  while (!stopping_.HasBeenNotified()) {
    auto entries = index_.Read(consumer, options_.batch, options_.read_block);
    if (!entries.ok()) {
      RemindersMetrics::Get().index_errors.WithLabels({"read"}).Increment();
      LogFailure("reminders_read_failed", entries.status());
      Sleep(options_.error_pause);
      continue;
    }
    HandleEntries(*entries);
  }
}

void Dispatcher::HandleEntries(const std::vector<DueEntry>& entries) {
  std::vector<std::string> done;
  for (const DueEntry& entry : entries) {
    // An entry deleted while pending names no reminder: acknowledge it.
    absl::Status delivered = entry.reminder_id.empty() ? absl::OkStatus() : Deliver(entry.reminder_id);
    if (delivered.ok()) {
      done.push_back(entry.entry_id);
    } else {
      LogFailure("reminders_deliver_failed", delivered);
    }
  }
  if (auto acked = index_.Ack(done); !acked.ok()) {
    // The entries stay pending and come back through XAUTOCLAIM; their claims are already settled.
    RemindersMetrics::Get().index_errors.WithLabels({"ack"}).Increment();
    LogFailure("reminders_ack_failed", acked);
  }
}

void Dispatcher::HousekeepingLoop() {
  absl::Time next_reclaim = clock_.Now() + options_.reclaim_interval;
  absl::Time next_reconcile = clock_.Now() + options_.reconcile_interval;
  const std::string consumer = absl::StrCat(options_.worker_id, "/reclaim");
  while (Sleep(options_.move_interval)) {
    if (auto moved = MoveDueNow(); !moved.ok()) {
      RemindersMetrics::Get().index_errors.WithLabels({"move"}).Increment();
      LogFailure("reminders_move_failed", moved);
      Sleep(options_.error_pause);
      continue;
    }
    absl::Time now = clock_.Now();
    if (now >= next_reclaim) {
      next_reclaim = now + options_.reclaim_interval;
      // Entries idle longer than a lease belong to a consumer that died mid-batch.
      auto reclaimed = index_.Reclaim(consumer, options_.lease, options_.batch * options_.threads);
      if (reclaimed.ok()) {
        HandleEntries(*reclaimed);
      } else {
        RemindersMetrics::Get().index_errors.WithLabels({"reclaim"}).Increment();
        LogFailure("reminders_reclaim_failed", reclaimed.status());
      }
      if (auto depth = index_.Depth(); depth.ok()) {
        RemindersMetrics::Get().queue_depth.WithLabels({"waiting"}).Set(static_cast<double>(depth->waiting));
        RemindersMetrics::Get().queue_depth.WithLabels({"queued"}).Set(static_cast<double>(depth->queued));
      }
    }
    if (now >= next_reconcile) {
      next_reconcile = now + options_.reconcile_interval;
      if (auto reconciled = ReconcileNow(); !reconciled.ok()) {
        LogFailure("reminders_reconcile_failed", reconciled.status());
      }
    }
  }
}

absl::Status Dispatcher::MoveDueNow() {
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> moved, index_.MoveDue(clock_.Now(), kMoveLimit));
    // Only the state shown to support depends on this: a failure here delays nothing.
    if (auto marked = store_.MarkQueued(moved); !marked.ok()) {
      LogFailure("reminders_mark_queued_failed", marked.status());
    }
    if (static_cast<int>(moved.size()) < kMoveLimit || stopping_.HasBeenNotified()) return absl::OkStatus();
  }
}

absl::StatusOr<int> Dispatcher::ReconcileNow() { return reconciler_.Reconcile(clock_.Now()); }

absl::Status Dispatcher::Deliver(const std::string& reminder_id) {
  ASSIGN_OR_RETURN(std::optional<ClaimedReminder> claimed,
                   store_.Claim(reminder_id, options_.worker_id, clock_.Now(), options_.lease));
  // Cancelled, delivered, not due yet, or another worker holds it: nothing to do here.
  if (!claimed.has_value()) return absl::OkStatus();
  const ReminderProto& reminder = claimed->reminder;

  auto reminder_template = store_.GetTemplate(reminder.clinic_id(), reminder.template_id());
  if (absl::IsNotFound(reminder_template.status())) {
    Record(*claimed, DeadOutcome(kDeadTemplateMissing));
    return absl::OkStatus();
  }
  if (!reminder_template.ok()) return reminder_template.status();  // the lease expires; another try later

  auto kind = ChannelKindOf(reminder.channel());
  auto channel = kind.has_value() ? channels_.find(*kind) : channels_.end();
  if (channel == channels_.end()) {
    Record(*claimed, DeadOutcome(kDeadChannelUnavailable));
    return absl::OkStatus();
  }

  auto message = BuildMessage(reminder, *reminder_template, policy_);
  if (!message.ok()) {
    Record(*claimed,
           DeadOutcome(IsDiscretionViolation(message.status()) ? kDeadDiscretion : kDeadPermanentFailure));
    return absl::OkStatus();
  }
  absl::Status sent = channel->second->Send(*message);
  auto zone = LoadTimeZone(reminder.time_zone());
  AttemptOutcome outcome = DecideOutcome(sent, reminder.attempts(), backoff_, clock_.Now(),
                                         zone.ok() ? *zone : absl::UTCTimeZone(), QuietHoursOf(reminder));
  if (!sent.ok()) {
    RemindersMetrics::Get().failures.WithLabels({ChannelLabel(reminder)}).Increment();
    LogFailure("reminder_attempt_failed", sent);
  }
  Record(*claimed, outcome);
  return absl::OkStatus();
}

void Dispatcher::Record(const ClaimedReminder& claimed, const AttemptOutcome& outcome) {
  const ReminderProto& reminder = claimed.reminder;
  RemindersMetrics& m = RemindersMetrics::Get();
  const std::string channel = ChannelLabel(reminder);
  absl::Time now = clock_.Now();
  absl::Status finished = store_.Finish(reminder.reminder_id(), claimed.lease, outcome, now);
  if (absl::IsAborted(finished)) {
    // This claim's lease expired and the reminder was claimed again (perhaps by this very process): the
    // newer claim records the outcome, so this attempt counts nowhere.
    log::Warn("reminder_lease_lost", {{"reminder_id", reminder.reminder_id()}});
    return;
  }
  if (!finished.ok()) {
    // The database failed: the lease expires and the reminder comes back through the reconciler.
    LogFailure("reminder_finish_failed", finished);
    return;
  }
  switch (outcome.state) {
    case ReminderState::kDelivered:
      m.attempts.WithLabels({channel, "delivered"}).Increment();
      m.lag_seconds.WithLabels({channel}).Observe(
          std::max(0.0, absl::ToDoubleSeconds(now - FromProto(reminder.due_time()))));
      break;
    case ReminderState::kFailed:
      m.attempts.WithLabels({channel, "retry"}).Increment();
      if (auto added = index_.Add({{reminder.reminder_id(), outcome.next_attempt_at}}); !added.ok()) {
        m.index_errors.WithLabels({"add"}).Increment();
      }
      break;
    default:
      m.attempts.WithLabels({channel, "dead"}).Increment();
      m.dead_letters.WithLabels({outcome.dead_reason}).Increment();
      log::Warn("reminder_dead", {{"reminder_id", reminder.reminder_id()}, {"reason", outcome.dead_reason}});
      break;
  }
}

}  // namespace tandem::reminders
