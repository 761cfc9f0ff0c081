namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>The key layout of DESIGN.md: everything a run makes lives under <c>runs/{runId}/</c>.</summary>
public static class ArtifactKeys
{
    public static string Run(Guid runId) => $"runs/{runId:N}/";
    public static string Dataset(Guid runId) => Run(runId) + "dataset.csv";
    /// <summary>The uploaded file a dataset was converted from, in its own format (e.g. <c>dataset.parquet</c>).</summary>
    public static string DatasetSource(Guid runId, string format) => Run(runId) + "dataset." + format;
    public static string Spec(Guid runId) => Run(runId) + "spec.json";
    public static string Manifest(Guid runId) => Run(runId) + "manifest.json";
    /// <summary>Written when a person cancels the run; every stage looks for it before starting work on the run.</summary>
    public static string Cancelled(Guid runId) => Run(runId) + "cancelled.json";
    public static string Validation(Guid runId) => Run(runId) + "validation.json";
    public static string ValidationHtml(Guid runId) => Run(runId) + "validation.html";
    public static string Profile(Guid runId) => Run(runId) + "profile.json";
    public static string Schema(Guid runId) => Run(runId) + "schema.json";
    public static string Model(Guid runId) => Run(runId) + "model.zip";
    public static string Onnx(Guid runId) => Run(runId) + "model.onnx";
    public static string ModelCard(Guid runId) => Run(runId) + "model.json";
    public static string Metrics(Guid runId) => Run(runId) + "metrics.json";
    public static string Holdout(Guid runId) => Run(runId) + "holdout.csv";
    public static string HoldoutPredictions(Guid runId) => Run(runId) + "holdout-predictions.csv";
    public static string Gate(Guid runId) => Run(runId) + "gate.json";

    /// <summary>
    /// What a run's stage has stored under the run by the time it publishes each event (every stage writes before it
    /// announces), so a run's artifacts are read off its timeline instead of listed from the store on every look. The
    /// uploaded original a dataset was converted from is named by the manifest (<c>DatasetSource</c>), not here.
    /// </summary>
    public static IReadOnlyList<string> StoredBefore(Guid runId, string eventKind) => eventKind switch
    {
        nameof(Contracts.DataArrived) => [Dataset(runId), Spec(runId), Manifest(runId)],
        nameof(Contracts.DataValidated) => [Validation(runId), ValidationHtml(runId), Profile(runId), Schema(runId)],
        nameof(Contracts.DataRejected) => [Validation(runId), ValidationHtml(runId)],
        nameof(Contracts.ModelTrained) => [Model(runId), Onnx(runId), Holdout(runId), HoldoutPredictions(runId), Metrics(runId), ModelCard(runId)],
        nameof(Contracts.ModelApproved) or nameof(Contracts.ModelRejected) => [Gate(runId)],
        nameof(Contracts.RunCancelled) => [Cancelled(runId)],
        _ => [],
    };

    /// <summary>Per-pipeline records that are not run artifacts: the registered spec and the newest accepted dataset.</summary>
    public static string PipelineSpec(string pipeline) => $"pipelines/{pipeline}/spec.json";
    public static string LatestAccepted(string pipeline) => $"pipelines/{pipeline}/latest-accepted.json";

    /// <summary>The schema of the pipeline's last accepted dataset, which validate compares the next dataset with.</summary>
    public static string PipelineSchema(string pipeline) => $"pipelines/{pipeline}/schema.json";

    /// <summary>Labelled production rows, one CSV per accepted feedback batch in the dataset's own columns: retraining appends them.</summary>
    public static string Feedback(string pipeline) => $"pipelines/{pipeline}/feedback/";

    /// <summary>The served rows monitor remembers for feedback (one JSON file per PredictionsServed batch), and the labels it took for them.</summary>
    public static string Served(string pipeline) => $"pipelines/{pipeline}/served/";
    public static string FeedbackLedger(string pipeline) => $"pipelines/{pipeline}/feedback-log/";

    /// <summary>What monitor must not forget about a pipeline's served model across its restarts (<c>MonitorState</c>).</summary>
    public static string MonitorState(string pipeline) => $"pipelines/{pipeline}/monitor.json";

    /// <summary>Which model of each pipeline monitor watches (<c>WatchedModel</c>), from deploy's events: what a restarted monitor watches again.</summary>
    public const string MonitorWatches = "monitor/watching/";
    public static string MonitorWatch(string pipeline) => $"{MonitorWatches}{pipeline}.json";

    /// <summary>What deploy serves for a pipeline (<c>DeploymentRecord</c>): read back by deploy when it starts.</summary>
    public const string Deployments = "deployments/";
    public static string Deployment(string pipeline) => $"{Deployments}{pipeline}.json";

    /// <summary>The training cache: content address (dataset, spec, code, seed) → the run that trained it.</summary>
    public static string TrainingCache(string key) => $"cache/train/{key}.json";
}
