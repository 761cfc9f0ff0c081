using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// Retraining on a clock: <see cref="Schedule"/> is a cron expression (five fields, UTC). In mode <c>always</c> every
/// occurrence starts a retrain; in mode <c>hybrid</c> an occurrence is a check that retrains only when the model's last drift
/// report found dataset drift. <see cref="MaxAge"/> retrains a model that has served longer than that.
/// </summary>
public record TriggerSpec
{
    public static readonly IReadOnlyList<string> ScheduleModes = ["always", "hybrid"];

    public string? Schedule { get; init; }
    public string ScheduleMode { get; init; } = "always";
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Retrain once this many labelled production rows (feedback) arrived since the serving model was trained.</summary>
    public int? NewRows { get; init; }
}

public sealed class TriggerSpecValidator : AbstractValidator<TriggerSpec>
{
    public TriggerSpecValidator()
    {
        RuleFor(t => t.Schedule).Must(ParsesAsCron).When(t => t.Schedule is not null)
            .WithMessage(t => $"triggers.schedule '{t.Schedule}' is not a cron expression of five fields (minute hour day month weekday), e.g. \"0 3 * * *\".");
        RuleFor(t => t.ScheduleMode).Must(m => TriggerSpec.ScheduleModes.Contains(m))
            .WithMessage("triggers.scheduleMode is 'always' (retrain at every occurrence) or 'hybrid' (retrain only when drift says so).");
        RuleFor(t => t.MaxAge).Must(a => a is null || a >= TimeSpan.FromMinutes(1))
            .WithMessage("triggers.maxAge must be at least a minute.");
    }

    static bool ParsesAsCron(string? expression)
    {
        try
        {
            Cronos.CronExpression.Parse(expression ?? "", Cronos.CronFormat.Standard);
            return true;
        }
        catch (Cronos.CronFormatException)
        {
            return false;
        }
    }
}
