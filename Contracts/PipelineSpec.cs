namespace MlOps.Contracts;

/// <summary>
/// A pipeline: one model's whole recipe, read by every service. Every run stores the exact spec it ran with
/// (<c>runs/{runId}/spec.json</c>), so a later change never rewrites what an earlier run did.
/// The defaults make a CSV whose last column is the label run with no configuration at all.
/// </summary>
public record PipelineSpec
{
    public string Name { get; init; } = "";

    /// <summary>The label column; null means the last column of the header.</summary>
    public string? Target { get; init; }

    /// <summary>Auto infers binary or multiclass from the number of distinct labels; regression must be asked for.</summary>
    public ModelTask Task { get; init; } = ModelTask.Auto;

    public FeatureSpec Features { get; init; } = new();
    public TrainerSpec Trainer { get; init; } = new();
    public ValidationSpec Validation { get; init; } = new();
    public GateSpec Gate { get; init; } = new();
    public CacheSpec Cache { get; init; } = new();
    public TriggerSpec Triggers { get; init; } = new();
    public AlertSpec Alerts { get; init; } = new();
    public PerformanceSpec Performance { get; init; } = new();
    public RolloutSpec Rollout { get; init; } = new();
    public RetrainingSpec Retraining { get; init; } = new();
    public DriftSpec Drift { get; init; } = new();
}

public enum ModelTask
{
    Auto,
    Binary,
    Multiclass,
    Regression,
}

/// <summary>
/// Feature engineering that becomes part of the model (the ML.NET pipeline and its ONNX graph), so serving applies exactly
/// what training did. Every feature not named in <see cref="Categorical"/> or <see cref="Hashed"/> is numeric.
/// </summary>
public record FeatureSpec
{
    /// <summary>Text columns one-hot encoded over the values seen in training (an unseen value encodes as all zeros).</summary>
    public List<string> Categorical { get; init; } = [];

    /// <summary>Text columns one-hot encoded over 2^<see cref="HashBits"/> hash buckets (for many or open-ended values).</summary>
    public List<string> Hashed { get; init; } = [];
    public int HashBits { get; init; } = 10;

    /// <summary>Numeric columns whose empty cells are filled: <c>mean</c>, <c>minimum</c>, <c>maximum</c> or <c>zero</c> (of the training rows).</summary>
    public Dictionary<string, string> Impute { get; init; } = [];

    /// <summary>Scaling of the numeric features: <c>none</c>, <c>minMax</c> or <c>meanVariance</c> (fitted on the training rows).</summary>
    public string Normalize { get; init; } = "none";

    /// <summary>
    /// Features computed from two numeric columns (<see cref="DerivedFeature"/>): nodes of the model's ONNX graph, so callers send
    /// only the dataset's columns and serving computes them exactly as training did.
    /// </summary>
    public List<DerivedFeature> Derived { get; init; } = [];
}

/// <summary>
/// <see cref="Name"/> = <see cref="Of"/>[0] op <see cref="Of"/>[1], op one of <see cref="Ops"/> (in 32-bit floats, as the graph
/// computes it; a ratio by zero is ±infinity or NaN, which imputation or the trees then see as such).
/// </summary>
public record DerivedFeature
{
    public static readonly IReadOnlyList<string> Ops = ["sum", "difference", "product", "ratio"];

    public string Name { get; init; } = "";
    public string Op { get; init; } = "";
    public List<string> Of { get; init; } = [];
}

/// <summary>
/// The trainer and its hyperparameters. Known hyperparameters: numberOfTrees, numberOfLeaves, maxDepth (mapped to
/// 2^maxDepth leaves), learningRate, minimumExampleCountPerLeaf, threads, rowFraction, maxBins (tree trainers);
/// maximumNumberOfIterations (linear).
/// </summary>
public record TrainerSpec
{
    /// <summary>The trainers train knows, and the hyperparameters each kind takes: read by ingest's spec check and by train.</summary>
    public static readonly IReadOnlyList<string> Names = ["LightGbm", "FastTree", "FastForest", "Linear"];
    public static readonly IReadOnlyList<string> TreeHyperparameters = ["numberOfTrees", "numberOfLeaves", "maxDepth", "learningRate", "minimumExampleCountPerLeaf", "threads", "rowFraction", "maxBins"];
    public static readonly IReadOnlyList<string> LinearHyperparameters = ["maximumNumberOfIterations"];

    /// <summary>LightGbm (default), FastTree, FastForest or Linear.</summary>
    public string Name { get; init; } = "LightGbm";
    public int Seed { get; init; } = 42;
    /// <summary>Share of rows held out for evaluation, chosen by the seed.</summary>
    public double TestFraction { get; init; } = 0.2;
    public Dictionary<string, double> Hyperparameters { get; init; } = [];
}

/// <summary>
/// The validate stage's suite: the built-in checks every dataset gets (header, width, nulls, declared types, row count,
/// a learnable target), the pipeline's own <see cref="Expectations"/> (Great Expectations' names), and the comparison
/// with the last accepted dataset's schema (TFDV's anomalies).
/// </summary>
public record ValidationSpec
{
    public int MinRows { get; init; } = 50;

    /// <summary>
    /// Declared column types. A feature not named here must be a finite number; a <see cref="ColumnType.String"/>
    /// feature is categorical. The target is a label whatever its type.
    /// </summary>
    public Dictionary<string, ColumnType> ColumnTypes { get; init; } = [];

    public List<ExpectationSpec> Expectations { get; init; } = [];
    public SchemaPolicy Schema { get; init; } = new();
}

/// <summary>
/// The registry's gate. Value thresholds: <see cref="Metric"/> must reach <see cref="Minimum"/>, and each entry of
/// <see cref="Thresholds"/> its bound (a minimum for scores, a maximum for errors: rmse, mae, logLoss). Change threshold:
/// when a champion exists, both models are scored on the candidate's hold-out rows and the candidate's <see cref="Metric"/>
/// must be no worse than the champion's by more than <see cref="ChampionTolerance"/> (a tie passes).
/// <see cref="Metric"/> <c>auto</c> is accuracy for classification and r2 for regression.
/// </summary>
public record GateSpec
{
    public string Metric { get; init; } = "auto";
    public double? Minimum { get; init; } = 0.7;
    public Dictionary<string, double> Thresholds { get; init; } = [];
    public double ChampionTolerance { get; init; }

    /// <summary>Metrics where lower is better: a threshold on them is a maximum, and "no worse" means "not higher".</summary>
    public static readonly IReadOnlySet<string> LowerIsBetter = new HashSet<string> { "rmse", "mae", "logLoss" };

    public string MetricFor(ModelTask task) => Metric != "auto" ? Metric : task == ModelTask.Regression ? "r2" : "accuracy";
}

/// <summary>
/// Retraining on a clock: <see cref="Schedule"/> is a cron expression (five fields, UTC). In mode <c>always</c> every
/// occurrence starts a retrain; in mode <c>hybrid</c> an occurrence is a check that retrains only when the model's last drift
/// report found dataset drift. <see cref="MaxAge"/> retrains a model that has served longer than that.
/// </summary>
public record TriggerSpec
{
    public string? Schedule { get; init; }
    public string ScheduleMode { get; init; } = "always";
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Retrain once this many labelled production rows (feedback) arrived since the serving model was trained.</summary>
    public int? NewRows { get; init; }
}

/// <summary>
/// Live performance from feedback: over the last <see cref="Window"/> labelled predictions (at least <see cref="MinFeedback"/>),
/// accuracy (classification) or RMSE (regression) worse than the version's hold-out value by more than <see cref="Tolerance"/>
/// (RMSE: relative, e.g. 0.05 = 5% higher) is a performance drop: alerted, and a retrain is requested.
/// </summary>
public record PerformanceSpec
{
    public double Tolerance { get; init; } = 0.05;
    public int Window { get; init; } = 200;
    public int MinFeedback { get; init; } = 50;
    public bool RetrainOnDrop { get; init; } = true;
}

/// <summary>
/// How an approved version replaces the serving one. With <see cref="CanaryShare"/> 0 it replaces it at once; otherwise it
/// first answers that share of requests (sticky by the request's key when one is given) and is promoted once it has served
/// <see cref="MinPredictions"/> without a performance drop; a drop of the canary rolls it back.
/// </summary>
public record RolloutSpec
{
    public double CanaryShare { get; init; }
    public int MinPredictions { get; init; } = 500;

    /// <summary>Judge the canary after this long even if it has answered fewer than <see cref="MinPredictions"/> (null: only the count).</summary>
    public TimeSpan? MinDuration { get; init; }

    /// <summary>Serve an approved version as a shadow instead: it scores a copy of every request, its answers are compared and logged, never returned; promote it with the champion alias.</summary>
    public bool Shadow { get; init; }
}

/// <summary>What a retrain trains on: the newest accepted dataset, plus (by default) every labelled production row not in it yet.</summary>
public record RetrainingSpec
{
    public bool IncludeFeedback { get; init; } = true;
}

/// <summary>Webhooks (absolute http or https URLs) told about <see cref="On"/>: drift, rollback, failed (runs), performance.</summary>
public record AlertSpec
{
    public List<string> Webhooks { get; init; } = [];
    public List<string> On { get; init; } = ["drift", "performance", "rollback", "failed"];
}

/// <summary>
/// Content-addressed caching of training: a run whose dataset bytes, spec, code version and seed equal those of a run
/// that already trained reuses that run's model. Off for a whole pipeline with <see cref="Enabled"/>, or for some triggers.
/// </summary>
public record CacheSpec
{
    public bool Enabled { get; init; } = true;
    public List<Trigger> DisabledFor { get; init; } = [];
}

/// <summary>
/// When live inputs count as drifted, with the defaults the best drift tools use (Evidently's): for a reference of at most
/// <see cref="SmallReference"/> rows, a two-sample KS test per numeric feature (and chi-squared per categorical one),
/// drifted when p &lt; <see cref="PValue"/> after the <see cref="Correction"/> for testing many features at once; for a larger
/// reference, the normalized Wasserstein distance (Jensen–Shannon for categorical), drifted above <see cref="Threshold"/>.
/// <see cref="Method"/> (ks, wasserstein, psi) and <see cref="Features"/> override the choice for the pipeline or one feature.
/// The dataset has drifted when the drifted share reaches <see cref="DriftedShare"/>. No verdict before
/// <see cref="MinSamples"/> live rows; at most one retrain per <see cref="Cooldown"/>.
/// </summary>
public record DriftSpec
{
    public string Method { get; init; } = "auto";
    public double PValue { get; init; } = 0.05;
    public double Threshold { get; init; } = 0.1;
    public string Correction { get; init; } = "benjaminiHochberg";
    public int SmallReference { get; init; } = 1000;
    public Dictionary<string, FeatureDriftSpec> Features { get; init; } = [];
    public double DriftedShare { get; init; } = 0.5;
    public int MinSamples { get; init; } = 200;
    public int ReferenceSampleSize { get; init; } = 5000;
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(10);
    public bool RetrainOnDrift { get; init; } = true;
}

/// <summary>One feature's own drift method and threshold (each optional: what is not given comes from the pipeline's policy).</summary>
public record FeatureDriftSpec
{
    public string? Method { get; init; }
    public double? Threshold { get; init; }
}

/// <summary>Pipeline names end up in object keys, queue names and URLs, so they are kept to a safe alphabet.</summary>
public static partial class PipelineName
{
    public const string Rule = "1 to 63 characters: lowercase letters, digits and '-', starting with a letter or digit";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
