using System.ComponentModel.DataAnnotations;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// Exponential backoff for every consumer, like Kubeflow's <c>set_retry(num_retries, backoff_duration, backoff_factor)</c>:
/// retry <see cref="Attempts"/> times, waiting <see cref="FirstDelay"/>, then each wait times <see cref="Factor"/>, capped at <see cref="MaxDelay"/>.
/// Bound from <c>Messaging:Retry</c>.
/// </summary>
public sealed class RetryOptions
{
    [Range(0, 20)]
    public int Attempts { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(1.0, 10.0)]
    public double Factor { get; set; } = 2.0;

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan[] Delays() => Enumerable.Range(0, Attempts)
        .Select(i => TimeSpan.FromTicks((long)Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * Math.Pow(Factor, i))))
        .ToArray();
}
