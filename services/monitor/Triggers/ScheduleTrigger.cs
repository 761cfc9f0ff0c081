using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>A scheduled occurrence (cron) or age check: when it was due, what it found, and whether it asks for a retrain.</summary>
public record ScheduledCheck(string Pipeline, Guid RunId, int Version, DateTimeOffset DueAt, DateTimeOffset CheckedAt, string Kind, bool Retrain, string Reason);

/// <summary>
/// The clock's triggers (<c>triggers.schedule</c>, <c>triggers.scheduleMode</c>, <c>triggers.maxAge</c>): for each watched model,
/// its cron occurrences that came due (once each, the latest if several passed) and its age. In mode <c>always</c> a due
/// occurrence asks for a retrain; in mode <c>hybrid</c> only when the model's last drift report found dataset drift. Nothing
/// changes until the caller has acted on a check and hands it to <see cref="Complete"/>: a check whose retrain could not be
/// published comes due again.
/// </summary>
public static class ScheduleTrigger
{
    const string MaxAgeCheck = "maxAge";

    public static IReadOnlyList<ScheduledCheck> DueChecks(IEnumerable<KeyValuePair<string, Watch>> watches, DateTimeOffset now)
    {
        var due = new List<ScheduledCheck>();
        foreach (var (pipeline, w) in watches)
        {
            lock (w)
            {
                var triggers = w.Spec.Triggers;
                if (triggers.Schedule is { } expression)
                {
                    var cron = Cronos.CronExpression.Parse(expression, Cronos.CronFormat.Standard);
                    var occurrences = cron.GetOccurrences(w.ScheduledThrough.UtcDateTime, now.UtcDateTime, fromInclusive: false, toInclusive: true).ToList();
                    if (occurrences.Count > 0)
                    {
                        var at = new DateTimeOffset(DateTime.SpecifyKind(occurrences[^1], DateTimeKind.Utc));
                        var drifted = w.LastReport is { DatasetDrift: true } r ? r : null;
                        var retrain = triggers.ScheduleMode != "hybrid" || drifted is not null;
                        var reason = triggers.ScheduleMode != "hybrid" ? $"cron '{expression}' was due at {at:O}"
                            : drifted is not null ? $"scheduled check (cron '{expression}', due at {at:O}): the last drift report ({drifted.At:O}) found {drifted.DriftedShare:P0} of features drifted"
                            : $"scheduled check (cron '{expression}', due at {at:O}): {(w.LastReport is null ? "no drift report yet" : "no dataset drift in the last report")}, no retrain";
                        due.Add(new ScheduledCheck(pipeline, w.RunId, w.Version, at, now, triggers.ScheduleMode, retrain, reason));
                    }
                }
                if (triggers.MaxAge is { } age && !w.AgeRetrainRequested && now - w.Since >= age)
                    due.Add(new ScheduledCheck(pipeline, w.RunId, w.Version, w.Since + age, now, MaxAgeCheck, true,
                        $"v{w.Version} has served since {w.Since:O}, longer than triggers.maxAge {age}"));
            }
        }
        return due;
    }

    /// <summary>The retrain a check asks for, under the run ID its occurrence derives.</summary>
    public static RetrainRequested Retrain(ScheduledCheck check) =>
        new(RetrainRunIds.For(check.Pipeline, Trigger.Schedule, $"{check.Kind}|{check.DueAt:O}", check.RunId), check.Pipeline, Trigger.Schedule,
            check.Reason + ".", check.RunId);

    /// <summary>Records a due check as done on its watch (the schedule checked through its time, or the age retrain asked for).</summary>
    public static void Complete(Watch w, ScheduledCheck check)
    {
        lock (w)
        {
            if (check.Kind == MaxAgeCheck) w.AgeRetrainRequested = true;
            else if (check.CheckedAt > w.ScheduledThrough) w.ScheduledThrough = check.CheckedAt;
            w.LastScheduledCheck = check;
        }
    }
}
