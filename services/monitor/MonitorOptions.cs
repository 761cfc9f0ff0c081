using System.ComponentModel.DataAnnotations;

namespace MlOps.Monitor;

/// <summary>Monitor's settings (section <c>Monitor</c>), checked at start so a bad value stops the service with a message.</summary>
public sealed class MonitorOptions : IValidatableObject
{
    /// <summary>How often the clock-driven triggers (cron schedules, maxAge) are checked.</summary>
    public TimeSpan ScheduleTick { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many served rows (per monitor, newest first) feedback can still be given for.</summary>
    [Range(1, 100_000_000)]
    public int ServedRowsKept { get; set; } = 500_000;

    /// <summary>Keep the served rows and the labels taken in the artifact store, so a restart forgets none (false: memory only).</summary>
    public bool KeepServedRows { get; set; } = true;

    /// <summary>
    /// How many partitions monitor's pipelines are divided into (each owned by one replica at a time). Every replica must use
    /// the same number: it decides which queue a pipeline's messages go to.
    /// </summary>
    [Range(1, 256)]
    public int Partitions { get; set; } = 8;

    /// <summary>How often every replica tells every partition queue it is there (whoever receives owns the partition).</summary>
    public TimeSpan PartitionTick { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (PartitionTick <= TimeSpan.Zero)
            yield return new ValidationResult($"Monitor:PartitionTick must be positive, not {PartitionTick}.", [nameof(PartitionTick)]);
        if (ScheduleTick <= TimeSpan.Zero)
            yield return new ValidationResult($"Monitor:ScheduleTick must be positive, not {ScheduleTick}.", [nameof(ScheduleTick)]);
    }
}
