using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// One stage's limits on this replica, bound from <c>Stages:{stage}</c> (Kubeflow's <c>set_cpu_limit</c>, <c>set_timeout</c> and
/// <c>set_retry</c>, per stage): how many messages its endpoints handle at once, how long it may take over one run before the
/// run ends failed, and its own retry policy instead of <c>Messaging:Retry</c>. Unset means: MassTransit's concurrency
/// (twice the cores, or the broker's prefetch), no time limit, the bus-wide retry.
/// </summary>
public sealed class StageOptions
{
    /// <summary>At most this many of the stage's messages at once on this replica (runs trained, datasets validated …).</summary>
    public int? Concurrency { get; set; }

    /// <summary>The longest the stage may work on one run, retries included; then the run ends failed, naming the stage and the limit.</summary>
    public TimeSpan? Timeout { get; set; }

    public RetryOptions? Retry { get; set; }
}

/// <summary>Every stage's <see cref="StageOptions"/>, read once at start; a setting that cannot work stops the start, naming it.</summary>
public sealed class StageLimits
{
    /// <summary>The stages a setting may name: the first part of every endpoint's queue name.</summary>
    public static readonly IReadOnlyList<string> Stages = ["ingest", "validate", "train", "registry", "deploy", "monitor"];

    readonly Dictionary<string, StageOptions> _byStage;
    readonly RetryOptions _retry;

    StageLimits(Dictionary<string, StageOptions> byStage, RetryOptions retry, RetryOptions transient) => (_byStage, _retry, Transient) = (byStage, retry, transient);

    /// <summary>
    /// The retry of a failure to reach a service (<see cref="TransientFailure"/>), for every stage: <c>Messaging:TransientRetry</c>,
    /// by default 10 attempts from 1 s doubling up to 30 s apart (about three minutes in all).
    /// </summary>
    public RetryOptions Transient { get; }

    public StageOptions For(string stage) => _byStage.GetValueOrDefault(stage) ?? new StageOptions();

    /// <summary>The stage's retry policy: its own where it has one, else <c>Messaging:Retry</c>.</summary>
    public RetryOptions RetryFor(string stage) => For(stage).Retry ?? _retry;

    /// <summary>
    /// Reads <c>Messaging:Retry</c> and <c>Stages</c>, or throws <see cref="InvalidOperationException"/> naming every setting
    /// that cannot work: a stage that does not exist, a concurrency below 1, a timeout that is not a positive duration, a
    /// retry out of its bounds. A stage's retry starts from <c>Messaging:Retry</c> and changes what it names.
    /// </summary>
    public static StageLimits Read(IConfiguration configuration)
    {
        var problems = new List<string>();
        var retry = Bind(configuration.GetSection("Messaging:Retry"), new RetryOptions(), "Messaging:Retry", problems);
        var transient = Bind(configuration.GetSection("Messaging:TransientRetry"),
            new RetryOptions { Attempts = 10, FirstDelay = TimeSpan.FromSeconds(1), Factor = 2, MaxDelay = TimeSpan.FromSeconds(30) }, "Messaging:TransientRetry", problems);
        var byStage = new Dictionary<string, StageOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection("Stages").GetChildren())
        {
            var key = $"Stages:{section.Key}";
            if (!Stages.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{key} is not a stage; the stages are {string.Join(", ", Stages)}.");
                continue;
            }
            var options = new StageOptions();
            if (section["Concurrency"] is { } concurrency)
            {
                if (int.TryParse(concurrency, out var n) && n >= 1 && n <= 1024) options.Concurrency = n;
                else problems.Add($"{key}:Concurrency is '{concurrency}'; it is how many messages the stage handles at once on one replica, a whole number from 1 to 1024.");
            }
            if (section["Timeout"] is { } timeout)
            {
                if (TimeSpan.TryParse(timeout, System.Globalization.CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero) options.Timeout = t;
                else problems.Add($"{key}:Timeout is '{timeout}'; write a positive duration as hh:mm:ss (00:30:00 is half an hour).");
            }
            if (section.GetSection("Retry").Exists())
                options.Retry = Bind(section.GetSection("Retry"), Copy(retry), $"{key}:Retry", problems);
            byStage[section.Key] = options;
        }
        if (problems.Count > 0) throw new InvalidOperationException("MlOps cannot start with these settings: " + string.Join(" ", problems));
        return new StageLimits(byStage, retry, transient);
    }

    static RetryOptions Copy(RetryOptions r) => new() { Attempts = r.Attempts, FirstDelay = r.FirstDelay, Factor = r.Factor, MaxDelay = r.MaxDelay };

    static RetryOptions Bind(IConfigurationSection section, RetryOptions options, string key, List<string> problems)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{key}: {e.Message}");
            return options;
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            problems.AddRange(results.Select(r => $"{key}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        return options;
    }
}
