using FluentValidation;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest;

/// <summary>The registered spec of each pipeline, or the default spec for a pipeline nobody configured.</summary>
public sealed class PipelineCatalog(IArtifactStore store)
{
    static readonly PipelineSpecValidator Validator = new();

    public async Task<PipelineSpec> GetAsync(string pipeline, CancellationToken ct) =>
        (await store.TryGetJsonAsync<PipelineSpec>(ArtifactKeys.PipelineSpec(pipeline), ct) ?? new PipelineSpec()) with { Name = pipeline };

    /// <summary>Validates and stores a spec; the errors are returned, never thrown, so the API can answer 400 with all of them.</summary>
    public async Task<IDictionary<string, string[]>?> SaveAsync(string pipeline, PipelineSpec spec, CancellationToken ct)
    {
        spec = spec with { Name = pipeline };
        var result = await Validator.ValidateAsync(spec, ct);
        if (!result.IsValid) return result.ToDictionary();
        await store.PutJsonAsync(ArtifactKeys.PipelineSpec(pipeline), spec, ct);
        return null;
    }
}

public sealed class PipelineSpecValidator : AbstractValidator<PipelineSpec>
{
    static readonly string[] Trainers = ["LightGbm", "FastTree", "FastForest", "Linear"];
    static readonly string[] TreeHyperparameters = ["numberOfTrees", "numberOfLeaves", "learningRate", "minimumExampleCountPerLeaf"];
    static readonly string[] LinearHyperparameters = ["maximumNumberOfIterations"];
    static readonly string[] Metrics = ["accuracy", "f1", "auc", "macroAccuracy", "microAccuracy"];

    public PipelineSpecValidator()
    {
        RuleFor(s => s.Name).Must(PipelineName.IsValid).WithMessage($"Pipeline names are {PipelineName.Rule}.");
        RuleFor(s => s.Target).Must(t => t is null || t.Trim().Length > 0).WithMessage("target must be a column name, or omitted for the last column.");
        RuleFor(s => s.Task).IsInEnum();
        RuleFor(s => s.Trainer.Name).Must(n => Trainers.Contains(n))
            .WithMessage(s => $"Unknown trainer '{s.Trainer.Name}'. Use one of: {string.Join(", ", Trainers)}.");
        RuleFor(s => s.Trainer.TestFraction).ExclusiveBetween(0.0, 0.9);
        RuleForEach(s => s.Trainer.Hyperparameters).Must((s, kv) => (s.Trainer.Name == "Linear" ? LinearHyperparameters : TreeHyperparameters).Contains(kv.Key))
            .WithMessage((s, kv) => $"'{kv.Key}' is not a hyperparameter of {s.Trainer.Name}. Known: {string.Join(", ", s.Trainer.Name == "Linear" ? LinearHyperparameters : TreeHyperparameters)}.");
        RuleForEach(s => s.Trainer.Hyperparameters).Must(kv => double.IsFinite(kv.Value) && kv.Value > 0)
            .WithMessage((_, kv) => $"Hyperparameter '{kv.Key}' must be a positive number, not {kv.Value}.");
        RuleFor(s => s.Validation.MinRows).GreaterThanOrEqualTo(10);
        RuleForEach(s => s.Validation.ColumnTypes).Must(kv => kv.Key.Trim().Length > 0 && Enum.IsDefined(kv.Value))
            .WithMessage((_, kv) => $"validation.columnTypes: '{kv.Key}' needs a column name and one of number, integer, string, boolean.");
        RuleFor(s => s.Validation.Expectations.Count).LessThanOrEqualTo(1000).WithMessage("A suite has at most 1000 expectations.");
        RuleForEach(s => s.Validation.Expectations).SetValidator(new ExpectationSpecValidator());
        RuleFor(s => s.Validation.Schema.NullRateShiftThreshold).ExclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Gate.Metric).Must(m => Metrics.Contains(m)).WithMessage(s => $"Unknown gate metric '{s.Gate.Metric}'. Use one of: {string.Join(", ", Metrics)}.");
        RuleFor(s => s.Gate.Minimum).InclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Gate.ChampionTolerance).InclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Drift.PValue).ExclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Drift.DriftedShare).ExclusiveBetween(0.0, 1.0).Unless(s => s.Drift.DriftedShare == 1.0);
        RuleFor(s => s.Drift.MinSamples).GreaterThanOrEqualTo(20);
        RuleFor(s => s.Drift.ReferenceSampleSize).InclusiveBetween(100, 1_000_000);
        RuleFor(s => s.Drift.Cooldown).GreaterThanOrEqualTo(TimeSpan.Zero);
    }
}

/// <summary>
/// Checks each expectation of a suite when the pipeline is registered: a known name, the arguments it needs, sane values,
/// a regex that compiles. A suite that is wrong is refused here with every reason, never discovered when data arrives.
/// </summary>
public sealed class ExpectationSpecValidator : AbstractValidator<ExpectationSpec>
{
    public ExpectationSpecValidator()
    {
        RuleFor(e => e.Expectation).Must(ExpectationCatalog.Known.ContainsKey)
            .WithMessage(e => $"Unknown expectation '{e.Expectation}'. Known: {string.Join(", ", ExpectationCatalog.Known.Keys)}.");
        When(e => ExpectationCatalog.Known.ContainsKey(e.Expectation), () =>
        {
            RuleFor(e => e.Column).Must(c => !string.IsNullOrWhiteSpace(c)).When(e => Needs(e, ExpectationCatalog.Needs.Column))
                .WithMessage(e => $"{e.Expectation} needs 'column'.");
            RuleFor(e => e.Columns).Must(c => c is { Count: > 0 } && c.All(n => !string.IsNullOrWhiteSpace(n))).When(e => Needs(e, ExpectationCatalog.Needs.Columns))
                .WithMessage(e => $"{e.Expectation} needs 'columns', a non-empty list of names.");
            RuleFor(e => e).Must(e => e.Min is not null || e.Max is not null).When(e => Needs(e, ExpectationCatalog.Needs.Range))
                .WithName("min").WithMessage(e => $"{e.Expectation} needs 'min', 'max' or both.");
            RuleFor(e => e).Must(e => e.Min is null || e.Max is null || e.Min <= e.Max)
                .WithName("min").WithMessage(e => $"{e.Expectation}: min {e.Min} is greater than max {e.Max}; no value could pass.");
            RuleFor(e => e).Must(e => (e.Min is null || double.IsFinite(e.Min.Value)) && (e.Max is null || double.IsFinite(e.Max.Value)))
                .WithName("min").WithMessage(e => $"{e.Expectation}: min and max must be finite numbers.");
            RuleFor(e => e.Values).Must(v => v is { Count: > 0 }).When(e => Needs(e, ExpectationCatalog.Needs.Values))
                .WithMessage(e => $"{e.Expectation} needs 'values', a non-empty list.");
            RuleFor(e => e.Regex).Must(Compiles).When(e => Needs(e, ExpectationCatalog.Needs.Regex))
                .WithMessage(e => $"{e.Expectation}: 'regex' is missing or does not compile as a .NET regular expression without backtracking constructs: {e.Regex}");
            RuleFor(e => e.Type).NotNull().IsInEnum().When(e => Needs(e, ExpectationCatalog.Needs.Type))
                .WithMessage(e => $"{e.Expectation} needs 'type': number, integer, string or boolean.");
            RuleFor(e => e.Mostly).Must(m => m > 0 && m <= 1).WithMessage(e => $"{e.Expectation}: 'mostly' must be in (0, 1], not {e.Mostly}.");
            RuleFor(e => e.Mostly).Equal(1.0).When(e => !ExpectationCatalog.Known[e.Expectation].PerValue)
                .WithMessage(e => $"{e.Expectation} is judged on the whole column, so 'mostly' does not apply.");
            RuleFor(e => e.Severity).IsInEnum();
        });
    }

    static bool Needs(ExpectationSpec e, ExpectationCatalog.Needs what) => ExpectationCatalog.Known[e.Expectation].Needs.HasFlag(what);

    static bool Compiles(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern) || pattern.Length > 1000) return false;
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
