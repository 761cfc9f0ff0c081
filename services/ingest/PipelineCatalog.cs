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
    static readonly IReadOnlyList<string> Trainers = TrainerSpec.Names;
    static readonly IReadOnlyList<string> TreeHyperparameters = TrainerSpec.TreeHyperparameters;
    static readonly IReadOnlyList<string> LinearHyperparameters = TrainerSpec.LinearHyperparameters;
    static readonly string[] ClassificationMetrics = ["accuracy", "f1", "auc", "logLoss", "macroAccuracy", "microAccuracy"];
    static readonly string[] RegressionMetrics = ["r2", "rmse", "mae"];
    static readonly string[] ImputeModes = ["mean", "minimum", "maximum", "zero"];
    static readonly string[] Normalizers = ["none", "minMax", "meanVariance"];
    static readonly string[] DriftMethods = ["auto", "ks", "wasserstein", "psi"];
    static readonly string[] Corrections = ["benjaminiHochberg", "bonferroni", "none"];

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

    static string[] MetricsFor(ModelTask task) => task == ModelTask.Regression ? RegressionMetrics : ClassificationMetrics;

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
        RuleForEach(s => s.Trainer.Hyperparameters).Must(kv => kv.Key is "learningRate" or "rowFraction" || kv.Value == Math.Round(kv.Value) && kv.Value <= 1_000_000)
            .WithMessage((_, kv) => $"Hyperparameter '{kv.Key}' must be a whole number up to 1,000,000, not {kv.Value}.");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !(h.ContainsKey("maxDepth") && h.ContainsKey("numberOfLeaves")))
            .WithMessage("Give maxDepth or numberOfLeaves, not both: maxDepth d means at most 2^d leaves.");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !h.TryGetValue("maxDepth", out var d) || d <= 16)
            .WithMessage("maxDepth is at most 16 (65,536 leaves).");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !h.TryGetValue("threads", out var t) || t <= 256)
            .WithMessage("threads is at most 256.");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !h.TryGetValue("learningRate", out var r) || r <= 1)
            .WithMessage("learningRate must be in (0, 1].");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !h.TryGetValue("rowFraction", out var r) || r <= 1)
            .WithMessage("rowFraction (the share of rows each tree learns from) must be in (0, 1].");
        RuleFor(s => s.Trainer.Hyperparameters).Must(h => !h.TryGetValue("maxBins", out var b) || b is >= 2 and <= 1024)
            .WithMessage("maxBins (histogram bins per feature) must be between 2 and 1024.");

        RuleForEach(s => s.Features.Categorical.Concat(s.Features.Hashed)).Must(c => !string.IsNullOrWhiteSpace(c))
            .OverridePropertyName("features").WithMessage("features.categorical and features.hashed name columns; an empty name is not one.");
        RuleFor(s => s.Features).Must(f => !f.Categorical.Intersect(f.Hashed).Any())
            .WithMessage(s => $"Columns both categorical and hashed: {string.Join(", ", s.Features.Categorical.Intersect(s.Features.Hashed))}. Pick one encoding per column.");
        RuleFor(s => s.Features).Must(f => !f.Impute.Keys.Intersect(f.Categorical.Concat(f.Hashed)).Any())
            .WithMessage("features.impute is for numeric columns; a categorical column's empty value is a category of its own.");
        RuleFor(s => s).Must(s => s.Target is null || !s.Features.Categorical.Concat(s.Features.Hashed).Concat(s.Features.Impute.Keys).Contains(s.Target))
            .WithName("features").WithMessage(s => $"The target '{s.Target}' cannot also be a feature.");
        RuleFor(s => s.Features.HashBits).InclusiveBetween(1, 20);
        RuleForEach(s => s.Features.Impute).Must(kv => ImputeModes.Contains(kv.Value))
            .WithMessage((_, kv) => $"features.impute['{kv.Key}'] is '{kv.Value}'; use one of {string.Join(", ", ImputeModes)}.");
        RuleFor(s => s.Features.Impute).Must(i => i.Values.Distinct().Count() <= 1)
            .WithMessage("All imputed columns take the same mode (they are filled by one transform over the numeric features).");
        RuleFor(s => s.Features.Normalize).Must(n => Normalizers.Contains(n))
            .WithMessage(s => $"features.normalize is '{s.Features.Normalize}'; use one of {string.Join(", ", Normalizers)}.");
        RuleForEach(s => s.Features.Derived).Must(d => !string.IsNullOrWhiteSpace(d.Name) && d.Name.Length <= 100)
            .WithMessage("Each features.derived entry needs a name (up to 100 characters).");
        RuleForEach(s => s.Features.Derived).Must(d => DerivedFeature.Ops.Contains(d.Op))
            .WithMessage((_, d) => $"features.derived '{d.Name}': op '{d.Op}' is not one of {string.Join(", ", DerivedFeature.Ops)}.");
        RuleForEach(s => s.Features.Derived).Must(d => d.Of is [var a, var b] && !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b))
            .WithMessage((_, d) => $"features.derived '{d.Name}': 'of' names exactly two numeric columns, e.g. [\"income\", \"household\"].");
        RuleFor(s => s.Features.Derived).Must(d => d.Select(x => x.Name).Distinct().Count() == d.Count)
            .WithMessage("Two features.derived entries have the same name.");
        RuleFor(s => s).Must(s => !s.Features.Derived.Any(d => d.Of.Any(c => s.Features.Categorical.Contains(c) || s.Features.Hashed.Contains(c) || c == s.Target)))
            .WithMessage("features.derived reads numeric feature columns only: not categorical, hashed or the target.");

        RuleFor(s => s.Validation.MinRows).GreaterThanOrEqualTo(10);
        RuleForEach(s => s.Validation.ColumnTypes).Must(kv => kv.Key.Trim().Length > 0 && Enum.IsDefined(kv.Value))
            .WithMessage((_, kv) => $"validation.columnTypes: '{kv.Key}' needs a column name and one of number, integer, string, boolean.");
        RuleFor(s => s.Validation.Expectations.Count).LessThanOrEqualTo(1000).WithMessage("A suite has at most 1000 expectations.");
        RuleForEach(s => s.Validation.Expectations).SetValidator(new ExpectationSpecValidator());
        RuleFor(s => s.Validation.Schema.NullRateShiftThreshold).ExclusiveBetween(0.0, 1.0);

        RuleFor(s => s.Gate.Metric).Must((s, m) => m == "auto" || MetricsFor(s.Task).Contains(m))
            .WithMessage(s => $"Unknown gate metric '{s.Gate.Metric}' for task {s.Task}. Use auto or one of: {string.Join(", ", MetricsFor(s.Task))}.");
        RuleForEach(s => s.Gate.Thresholds).Must((s, kv) => MetricsFor(s.Task).Contains(kv.Key) && double.IsFinite(kv.Value))
            .WithMessage((s, kv) => $"gate.thresholds: '{kv.Key}' = {kv.Value} is not a finite bound on a metric of task {s.Task} ({string.Join(", ", MetricsFor(s.Task))}).");
        RuleFor(s => s.Gate.Minimum).Must(m => m is null || double.IsFinite(m.Value) && m >= -1e9 && m <= 1e9)
            .WithMessage("gate.minimum must be a finite number, or null for no minimum.");
        RuleFor(s => s.Gate.ChampionTolerance).GreaterThanOrEqualTo(0.0).Must(double.IsFinite);
        RuleFor(s => s.Drift.PValue).ExclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Drift.Method).Must(m => DriftMethods.Contains(m))
            .WithMessage(s => $"drift.method '{s.Drift.Method}' is not one of {string.Join(", ", DriftMethods)}.");
        RuleFor(s => s.Drift.Threshold).Must(t => double.IsFinite(t) && t > 0 && t < 10)
            .WithMessage(s => $"drift.threshold {s.Drift.Threshold} can never (or always) be crossed; use a distance in (0, 10), e.g. 0.1.");
        RuleFor(s => s.Drift.Correction).Must(c => Corrections.Contains(c))
            .WithMessage(s => $"drift.correction '{s.Drift.Correction}' is not one of {string.Join(", ", Corrections)}.");
        RuleFor(s => s.Drift.SmallReference).GreaterThanOrEqualTo(0);
        RuleForEach(s => s.Drift.Features).Must(kv => kv.Key.Trim().Length > 0 && (kv.Value.Method is null || DriftMethods.Contains(kv.Value.Method))
                && (kv.Value.Threshold is null || double.IsFinite(kv.Value.Threshold.Value) && kv.Value.Threshold > 0 && kv.Value.Threshold < 10))
            .WithMessage((_, kv) => $"drift.features['{kv.Key}']: method must be one of {string.Join(", ", DriftMethods)} and threshold in (0, 10).");
        RuleFor(s => s.Drift.DriftedShare).ExclusiveBetween(0.0, 1.0).Unless(s => s.Drift.DriftedShare == 1.0);
        RuleFor(s => s.Drift.MinSamples).GreaterThanOrEqualTo(20);
        RuleFor(s => s.Drift.ReferenceSampleSize).InclusiveBetween(100, 1_000_000);
        RuleFor(s => s.Drift.Cooldown).GreaterThanOrEqualTo(TimeSpan.Zero);
        RuleFor(s => s.Triggers.Schedule).Must(ParsesAsCron).When(s => s.Triggers.Schedule is not null)
            .WithMessage(s => $"triggers.schedule '{s.Triggers.Schedule}' is not a cron expression of five fields (minute hour day month weekday), e.g. \"0 3 * * *\".");
        RuleFor(s => s.Alerts.Webhooks.Count).LessThanOrEqualTo(10).WithMessage("At most 10 webhooks.");
        RuleForEach(s => s.Alerts.Webhooks).Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .WithMessage((_, u) => $"alerts.webhooks: '{u}' is not an absolute http or https URL.");
        RuleForEach(s => s.Alerts.On).Must(o => o is "drift" or "performance" or "rollback" or "failed")
            .WithMessage((_, o) => $"alerts.on: '{o}' is not one of drift, performance, rollback, failed.");
        RuleFor(s => s.Triggers.ScheduleMode).Must(m => m is "always" or "hybrid")
            .WithMessage("triggers.scheduleMode is 'always' (retrain at every occurrence) or 'hybrid' (retrain only when drift says so).");
        RuleFor(s => s.Triggers.MaxAge).Must(a => a is null || a >= TimeSpan.FromMinutes(1))
            .WithMessage("triggers.maxAge must be at least a minute.");
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
