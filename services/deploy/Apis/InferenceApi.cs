using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Deploy;

/// <summary>
/// The Open Inference Protocol V2 (KServe) over the models this service serves. Errors are the protocol's
/// <c>{"error": "..."}</c> with 400 (bad request), 404 (unknown model or version) or 413 (body too large).
/// Inputs: one tensor per feature, named as the feature, of shape [N] or [N, 1] (numbers, or BYTES for text features);
/// or, for a model whose features are all numeric, one FP32/FP64/INT32/INT64 tensor of shape [N, F] in the model's order.
/// </summary>
public static class InferenceApi
{
    public static RouteGroupBuilder MapInferenceApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2").WithTags("Inference (Open Inference Protocol V2)");
        group.MapGet("", ServerMetadata);
        group.MapGet("/health/live", () => TypedResults.Ok(new { live = true })).AllowAnonymous();
        group.MapGet("/health/ready", (ServingTable serving) => serving.Restored
            ? Results.Ok(new { ready = true, models = serving.All.Count })
            : Results.Json(new { ready = false, models = serving.All.Count, reason = "restoring the models that served before the start" }, statusCode: 503)).AllowAnonymous();
        group.MapGet("/models/{name}", ModelMetadata);
        group.MapGet("/models/{name}/ready", ModelReady);
        group.MapGet("/models/{name}/versions/{version}", VersionMetadata);
        group.MapGet("/models/{name}/versions/{version}/ready", VersionReady);
        group.MapGet("/models/{name}/shadow", ShadowStatus);
        group.MapGet("/models/{name}/canary", CanaryStatus);
        group.MapPost("/models/{name}/infer", InferAny).Requires(Roles.Predictor);
        group.MapPost("/models/{name}/versions/{version}/infer", InferVersion).Requires(Roles.Predictor);
        return group;
    }

    static IResult Error(int status, string message) => V2Protocol.Error(status, message);

    static IResult ServerMetadata() => TypedResults.Ok(new { name = "mlops-deploy", version = MlOps.ServiceDefaults.CodeVersion.Current, extensions = Array.Empty<string>() });

    static IResult ModelReady(string name, ServingTable serving) =>
        serving.Get(name) is { } m ? TypedResults.Ok(new { name, version = m.Version.ToString(), ready = true }) : Error(404, UnknownModel(name, serving));

    /// <summary>The production or canary model with this version, or null.</summary>
    static DeployedModel? Version(ServingTable serving, string name, string version) =>
        serving.Get(name) is { } p && p.Version.ToString() == version ? p
        : serving.Rollouts.CanaryOf(name)?.Model is { } c && c.Version.ToString() == version ? c : null;

    static IResult VersionReady(string name, string version, ServingTable serving) =>
        Version(serving, name, version) is { } m ? TypedResults.Ok(new { name, version = m.Version.ToString(), ready = true })
        : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no version '{(version.Length > 20 ? version[..20] : version)}' serving.");

    static IResult VersionMetadata(string name, string version, ServingTable serving) =>
        Version(serving, name, version) is { } m ? Metadata(name, m)
        : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no version '{(version.Length > 20 ? version[..20] : version)}' serving.");

    /// <summary>A shadow's record: which version, how many rows it scored beside production, and how often it agreed.</summary>
    static IResult ShadowStatus(string name, ServingTable serving) =>
        serving.Rollouts.ShadowOf(name) is { } s
            ? TypedResults.Ok(new { name, version = s.Model.Version.ToString(), serving = serving.Get(name)?.Version.ToString(), compared = s.Compared,
                agreed = s.Agreed, agreement = s.Compared == 0 ? (double?)null : Math.Round((double)s.Agreed / s.Compared, 6), failed = s.Failed })
            : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no shadow.");

    /// <summary>A canary's progress: which version, its share, how many predictions it answered of how many it needs, since when.</summary>
    static IResult CanaryStatus(string name, ServingTable serving, TimeProvider clock) =>
        serving.Rollouts.CanaryOf(name) is { } c
            ? TypedResults.Ok(new { name, version = c.Model.Version.ToString(), serving = serving.Get(name)?.Version.ToString(), share = c.Share,
                served = c.Served, minPredictions = c.MinPredictions, started = c.Started, minDuration = c.MinDuration, minDurationDoneAt = c.DurationDoneAt,
                checks = c.Checks, waitingFor = c.Waiting(clock.GetUtcNow()) })
            : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no canary.");

    static string UnknownModel(string name, ServingTable serving) => serving.RetiredOf(name) is { } r
        ? $"Model '{name}' was retired at {r.At:O} by {r.By} ({r.Reason}); v{r.Version} was the last version served. Promote a version (PUT /models/{name}/aliases/champion on the registry) to serve it again."
        : $"Model '{(name.Length > 80 ? name[..80] + "…" : name)}' is not served. A pipeline's model is served once a version passes the gate.";

    static IResult ModelMetadata(string name, ServingTable serving) =>
        serving.Get(name) is { } m ? Metadata(name, m, serving.Rollouts.CanaryOf(name)?.Model) : Error(404, UnknownModel(name, serving));

    static IResult Metadata(string name, DeployedModel m, DeployedModel? canary = null)
    {
        var card = m.Scorer.Card;
        return TypedResults.Ok(new
        {
            name,
            versions = canary is null ? new[] { m.Version.ToString() } : [m.Version.ToString(), canary.Version.ToString()],
            platform = "onnxruntime_onnx",
            inputs = card.Features.Select(f => new { name = f, datatype = "FP32", shape = new[] { -1 } })
                .Concat(card.TextInputs.Select(f => new { name = f, datatype = "BYTES", shape = new[] { -1 } })).ToArray(),
            outputs = card.Task == ModelTask.Regression
                ? new object[] { new { name = "value", datatype = "FP32", shape = new[] { -1 } } }
                : new object[]
                {
                    new { name = "label", datatype = "BYTES", shape = new[] { -1 } },
                    new { name = "probabilities", datatype = "FP32", shape = new[] { -1, card.Classes.Count } },
                },
            parameters = new
            {
                run_id = m.RunId.ToString("N"), model_sha256 = card.ModelSha256, execution_provider = m.Scorer.ExecutionProvider,
                task = card.Task.ToString(), trainer = card.Trainer, features = card.Features, categorical = card.Categorical,
                hashed = card.HashedText, timestamps = card.Timestamps, imputed = card.Imputed, impute_values = card.ImputeValues, classes = card.Classes, all_numeric_input = new { name = card.OnnxInput, shape = new[] { -1, card.Features.Count } },
                hyperparameters = card.Hyperparameters, deployed_at = m.DeployedAt,
            },
        });
    }

    static Task<IResult> InferVersion(string name, string version, HttpContext http, ServingTable serving, PredictionLog log, IOptions<DeployOptions> options)
    {
        var production = serving.Get(name);
        var canary = serving.Rollouts.CanaryOf(name)?.Model;
        var chosen = Version(serving, name, version);
        return chosen is null && production is not null
            ? Task.FromResult(Error(404, $"Model '{name}' serves version {production.Version}{(canary is null ? "" : $" (and canary {canary.Version})")}, not '{(version.Length > 20 ? version[..20] : version)}'."))
            : Infer(name, http, serving, log, options, chosen);
    }

    static Task<IResult> InferAny(string name, HttpContext http, ServingTable serving, PredictionLog log, IOptions<DeployOptions> options) =>
        Infer(name, http, serving, log, options, null);

    static async Task<IResult> Infer(string name, HttpContext http, ServingTable serving, PredictionLog log, IOptions<DeployOptions> options,
        DeployedModel? pinned)
    {
        var started = Stopwatch.GetTimestamp();
        // Take the model once: a swap during this request does not change who answers it. With a canary, the request's key
        // (X-Request-Key) keeps a caller on one version; without one, each request is routed by chance.
        var model = pinned ?? serving.Route(name, http.Request.Headers["X-Request-Key"].FirstOrDefault());
        if (model is null) return Error(404, UnknownModel(name, serving));
        var limit = options.Value.MaxRequestBytes;
        // A declared length over the limit is answered before the body limit is lowered: Kestrel then reads and drops the
        // unread body under its own limit, so a client that sends everything before reading gets the 413. With the lower
        // limit set first, Kestrel cut the connection instead, and the client saw a reset (DeployClaimsTests, 30 times over).
        if (http.Request.ContentLength > limit)
        {
            http.Response.Headers.Connection = "close";
            return Error(413, $"The request body is {http.Request.ContentLength} bytes; the limit is {limit}.");
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;

        // A read-only document, not a node tree: a 1,000-row batch is 10,000 numbers, read without an object each.
        using var document = await V2Protocol.ParseAsync(http, limit);
        if (document.Error is { } failed) return failed;
        var body = document.Root;

        var card = model.Scorer.Card;
        if (!V2Protocol.TryReadInputs(body, card, out var batch, out var problem)) return Error(400, problem);
        var rows = batch.Rows;
        Prediction[] predictions;
        try
        {
            predictions = model.Scorer.Score(batch);
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or ObjectDisposedException)
        {
            model.Stats.Record(Stopwatch.GetElapsedTime(started), failed: true);
            return Error(500, $"Model '{name}' v{model.Version} could not score the request: {e.Message}");
        }
        serving.Observe(name, model, pinned is not null, batch, predictions);

        var requestId = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()! : Guid.NewGuid().ToString("N");
        var predictionIds = new string[rows];
        var runPrefix = model.RunId.ToString("N");
        var requestPart = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var now = DateTimeOffset.UtcNow;
        var width = card.Features.Count;
        var served = new ServedPrediction[rows];
        for (var i = 0; i < rows; i++)
        {
            predictionIds[i] = PredictionIds.Of(runPrefix, requestPart, i);
            served[i] = new ServedPrediction(predictionIds[i], batch.Numeric.AsSpan(i * width, width).ToArray(), predictions[i].Label, now,
                card.Categorical.Count + card.HashedText.Count + card.Timestamps.Count == 0 ? null : batch.TextsOf(i, card));
        }
        log.Add(model, served);

        model.Stats.Record(Stopwatch.GetElapsedTime(started), failed: false);
        return TypedResults.Ok(new
        {
            model_name = name,
            model_version = model.Version.ToString(),
            id = requestId,
            parameters = new
            {
                run_id = model.RunId.ToString("N"), model_sha256 = card.ModelSha256, execution_provider = model.Scorer.ExecutionProvider,
                prediction_ids = predictionIds, latency_ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            },
            outputs = card.Task == ModelTask.Regression
                ? new object[] { new { name = "value", datatype = "FP32", shape = new[] { rows }, data = predictions.Select(p => p.Value) } }
                : new object[]
                {
                    new { name = "label", datatype = "BYTES", shape = new[] { rows }, data = predictions.Select(p => p.Label) },
                    new { name = "probabilities", datatype = "FP32", shape = new[] { rows, card.Classes.Count }, data = predictions.SelectMany(p => p.Probabilities) },
                },
        });
    }
}
