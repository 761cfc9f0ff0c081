using FluentValidation;

namespace MlOps.Contracts;

/// <summary>Webhooks (absolute http or https URLs) told about <see cref="On"/>: one or more of <see cref="Kinds"/>.</summary>
public record AlertSpec
{
    /// <summary>What can be alerted: drift, a performance drop, a rollback, a failed run.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["drift", "performance", "rollback", "failed"];

    public List<string> Webhooks { get; init; } = [];
    public List<string> On { get; init; } = [.. Kinds];
}

public sealed class AlertSpecValidator : AbstractValidator<AlertSpec>
{
    public AlertSpecValidator()
    {
        RuleFor(a => a.Webhooks.Count).LessThanOrEqualTo(10).WithMessage("At most 10 webhooks.");
        RuleForEach(a => a.Webhooks).Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .WithMessage((_, u) => $"alerts.webhooks: '{u}' is not an absolute http or https URL.");
        RuleForEach(a => a.On).Must(o => AlertSpec.Kinds.Contains(o))
            .WithMessage((_, o) => $"alerts.on: '{o}' is not one of {string.Join(", ", AlertSpec.Kinds)}.");
    }
}
