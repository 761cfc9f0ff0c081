using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using MlOps.Contracts;
using MlOps.Scoring;

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
        group.MapGet("/health/live", () => TypedResults.Ok(new { live = true }));
        group.MapGet("/health/ready", (ModelCatalog catalog) => TypedResults.Ok(new { ready = true, models = catalog.All.Count }));
        group.MapGet("/models/{name}", ModelMetadata);
        group.MapGet("/models/{name}/ready", ModelReady);
        group.MapGet("/models/{name}/versions/{version}", VersionMetadata);
        group.MapGet("/models/{name}/versions/{version}/ready", VersionReady);
        group.MapGet("/models/{name}/shadow", ShadowStatus);
        group.MapGet("/models/{name}/canary", CanaryStatus);
        group.MapPost("/models/{name}/infer", InferAny);
        group.MapPost("/models/{name}/versions/{version}/infer", InferVersion);
        return group;
    }

    static IResult Error(int status, string message) => TypedResults.Json(new { error = message }, statusCode: status);

    static IResult ServerMetadata() => TypedResults.Ok(new { name = "mlops-deploy", version = MlOps.ServiceDefaults.CodeVersion.Current, extensions = Array.Empty<string>() });

    static IResult ModelReady(string name, ModelCatalog catalog) =>
        catalog.Get(name) is { } m ? TypedResults.Ok(new { name, version = m.Version.ToString(), ready = true }) : Error(404, UnknownModel(name, catalog));

    /// <summary>The production or canary model with this version, or null.</summary>
    static DeployedModel? Version(ModelCatalog catalog, string name, string version) =>
        catalog.Get(name) is { } p && p.Version.ToString() == version ? p
        : catalog.CanaryOf(name)?.Model is { } c && c.Version.ToString() == version ? c : null;

    static IResult VersionReady(string name, string version, ModelCatalog catalog) =>
        Version(catalog, name, version) is { } m ? TypedResults.Ok(new { name, version = m.Version.ToString(), ready = true })
        : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no version '{(version.Length > 20 ? version[..20] : version)}' serving.");

    static IResult VersionMetadata(string name, string version, ModelCatalog catalog) =>
        Version(catalog, name, version) is { } m ? Metadata(name, m)
        : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no version '{(version.Length > 20 ? version[..20] : version)}' serving.");

    /// <summary>A shadow's record: which version, how many rows it scored beside production, and how often it agreed.</summary>
    static IResult ShadowStatus(string name, ModelCatalog catalog) =>
        catalog.ShadowOf(name) is { } s
            ? TypedResults.Ok(new { name, version = s.Model.Version.ToString(), serving = catalog.Get(name)?.Version.ToString(), compared = s.Compared,
                agreed = s.Agreed, agreement = s.Compared == 0 ? (double?)null : Math.Round((double)s.Agreed / s.Compared, 6), failed = s.Failed })
            : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no shadow.");

    /// <summary>A canary's progress: which version, its share, how many predictions it answered of how many it needs, since when.</summary>
    static IResult CanaryStatus(string name, ModelCatalog catalog) =>
        catalog.CanaryOf(name) is { } c
            ? TypedResults.Ok(new { name, version = c.Model.Version.ToString(), serving = catalog.Get(name)?.Version.ToString(), share = c.Share,
                served = c.Served, minPredictions = c.MinPredictions, started = c.Started, minDuration = c.MinDuration, minDurationDoneAt = c.DurationDoneAt })
            : Error(404, $"Model '{(name.Length > 80 ? name[..80] : name)}' has no canary.");

    static string UnknownModel(string name, ModelCatalog catalog) => catalog.RetiredOf(name) is { } r
        ? $"Model '{name}' was retired at {r.At:O} by {r.By} ({r.Reason}); v{r.Version} was the last version served. Promote a version (PUT /models/{name}/aliases/champion on the registry) to serve it again."
        : $"Model '{(name.Length > 80 ? name[..80] + "…" : name)}' is not served. A pipeline's model is served once a version passes the gate.";

    static IResult ModelMetadata(string name, ModelCatalog catalog) =>
        catalog.Get(name) is { } m ? Metadata(name, m, catalog.CanaryOf(name)?.Model) : Error(404, UnknownModel(name, catalog));

    static IResult Metadata(string name, DeployedModel m, DeployedModel? canary = null)
    {
        var card = m.Scorer.Card;
        return TypedResults.Ok(new
        {
            name,
            versions = canary is null ? new[] { m.Version.ToString() } : [m.Version.ToString(), canary.Version.ToString()],
            platform = "onnxruntime_onnx",
            inputs = card.Features.Select(f => new { name = f, datatype = "FP32", shape = new[] { -1 } })
                .Concat(card.Categorical.Concat(card.HashedText).Select(f => new { name = f, datatype = "BYTES", shape = new[] { -1 } })).ToArray(),
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
                hashed = card.HashedText, imputed = card.Imputed, classes = card.Classes, all_numeric_input = new { name = card.OnnxInput, shape = new[] { -1, card.Features.Count } },
                hyperparameters = card.Hyperparameters, deployed_at = m.DeployedAt,
            },
        });
    }

    static Task<IResult> InferVersion(string name, string version, HttpContext http, ModelCatalog catalog, PredictionLog log, IOptions<DeployOptions> options, ShadowScorer shadows)
    {
        var production = catalog.Get(name);
        var canary = catalog.CanaryOf(name)?.Model;
        var chosen = Version(catalog, name, version);
        return chosen is null && production is not null
            ? Task.FromResult(Error(404, $"Model '{name}' serves version {production.Version}{(canary is null ? "" : $" (and canary {canary.Version})")}, not '{(version.Length > 20 ? version[..20] : version)}'."))
            : Infer(name, http, catalog, log, options, shadows, chosen);
    }

    static Task<IResult> InferAny(string name, HttpContext http, ModelCatalog catalog, PredictionLog log, IOptions<DeployOptions> options, ShadowScorer shadows) =>
        Infer(name, http, catalog, log, options, shadows, null);

    static async Task<IResult> Infer(string name, HttpContext http, ModelCatalog catalog, PredictionLog log, IOptions<DeployOptions> options,
        ShadowScorer shadows, DeployedModel? pinned)
    {
        var started = Stopwatch.GetTimestamp();
        // Take the model once: a swap during this request does not change who answers it. With a canary, the request's key
        // (X-Request-Key) keeps a caller on one version; without one, each request is routed by chance.
        var model = pinned ?? catalog.Route(name, http.Request.Headers["X-Request-Key"].FirstOrDefault());
        if (model is null) return Error(404, UnknownModel(name, catalog));
        var limit = options.Value.MaxRequestBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (http.Request.ContentLength > limit) return Error(413, $"The request body is {http.Request.ContentLength} bytes; the limit is {limit}.");

        // A read-only document, not a node tree: a 1,000-row batch is 10,000 numbers, read without an object each.
        using var document = await ParseAsync(http, limit);
        if (document.Error is { } failed) return failed;
        var body = document.Root;

        var card = model.Scorer.Card;
        if (!TryReadInputs(body, card, out var batch, out var problem)) return Error(400, problem);
        var rows = batch.Rows;
        Prediction[] predictions;
        try
        {
            predictions = model.Scorer.Score(batch);
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException)
        {
            model.Stats.Record(Stopwatch.GetElapsedTime(started), failed: true);
            return Error(500, $"Model '{name}' v{model.Version} could not score the request: {e.Message}");
        }
        if (catalog.CanaryOf(name) is { } canary && canary.Model == model) canary.Count(rows);
        if (pinned is null && catalog.ShadowOf(name) is { } shadow && catalog.Get(name) == model)
            shadows.Offer(shadow, batch, predictions.Select(p => p.Label).ToArray());

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
            predictionIds[i] = PredictionId(runPrefix, requestPart, i);
            served[i] = new ServedPrediction(predictionIds[i], batch.Numeric.AsSpan(i * width, width).ToArray(), predictions[i].Label, now,
                card.Categorical.Count + card.HashedText.Count == 0 ? null
                : [.. batch.Categorical.AsSpan(i * card.Categorical.Count, card.Categorical.Count), .. batch.Hashed.AsSpan(i * card.HashedText.Count, card.HashedText.Count)]);
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

    /// <summary>
    /// A prediction's ID: the run that answered (32 hex digits, so lineage finds the model from the ID alone), '-', then 24 random
    /// hex digits for the request and 8 for the row: unique, and one random draw per request rather than per row.
    /// </summary>
    static string PredictionId(string run, string request, int row) => string.Create(65, (run, request, row), static (span, s) =>
    {
        s.run.AsSpan().CopyTo(span);
        span[32] = '-';
        s.request.AsSpan().CopyTo(span[33..]);
        s.row.TryFormat(span[57..], out _, "x8");
    });

    static readonly string[] NumericTypes = ["FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"];

    /// <summary>One decoded input: numbers (NaN for a JSON null) or strings, with its shape.</summary>
    sealed record Tensor(string Name, long[] Shape, float[]? Numbers, string[]? Texts)
    {
        public long Length => Numbers?.Length ?? Texts!.Length;
    }

    /// <summary>
    /// Reads the request's inputs into the model's batch, or says exactly what is wrong. Accepted: one input per feature
    /// (FP32 or another number type for numeric features, BYTES for text ones) of shape [N] or [N, 1]; or, for a model
    /// with only numeric features, one [N, F] tensor with the features in the model's order. JSON null stands for an
    /// empty cell and is accepted only for an imputed feature.
    /// </summary>
    /// <summary>The parsed body, or the protocol error to answer (400 not JSON, 413 too large).</summary>
    sealed class Parsed(JsonDocument? document, IResult? error) : IDisposable
    {
        public JsonElement Root => document!.RootElement;
        public IResult? Error { get; } = error;
        public void Dispose() => document?.Dispose();
    }

    static async Task<Parsed> ParseAsync(HttpContext http, long limit)
    {
        try
        {
            return new Parsed(await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted), null);
        }
        catch (JsonException e)
        {
            return new Parsed(null, Error(400, $"The body is not valid JSON: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return new Parsed(null, Error(413, $"The request body passed the limit of {limit} bytes."));
        }
    }

    static bool TryReadInputs(JsonElement body, ModelCard card, out ModelInputs batch, out string problem)
    {
        batch = ModelInputs.NumericOnly([], 0); problem = "";
        var width = card.Features.Count;
        var all = card.AllFeatures.ToList();
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() == 0)
        {
            problem = all.Count == width
                ? "The request needs an 'inputs' array: {\"inputs\": [{\"name\": \"" + card.OnnxInput + "\", \"shape\": [N, " + width + "], \"datatype\": \"FP32\", \"data\": [...]}]}, or one input per feature."
                : $"The request needs an 'inputs' array with one input per feature: {string.Join(", ", all)}.";
            return false;
        }
        var tensors = new List<Tensor>();
        foreach (var input in inputs.EnumerateArray())
        {
            if (!TryReadTensor(input, out var tensor, out problem)) return false;
            tensors.Add(tensor);
        }

        int rows;
        float[] numeric;
        string[] categorical = [], hashed = [];
        if (tensors.Count == 1 && all.Count == width && !all.Contains(tensors[0].Name))
        {
            var t = tensors[0];
            if (t.Numbers is null)
            {
                problem = $"Input '{t.Name}' has datatype BYTES; this model's features are all numbers (FP32, FP64 or an integer type).";
                return false;
            }
            if (!(t.Shape.Length == 2 && t.Shape[1] == width) && !(t.Shape.Length == 1 && t.Shape[0] == width))
            {
                problem = $"Input '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; the model takes [N, {width}] (features: {string.Join(", ", card.Features)}).";
                return false;
            }
            rows = t.Shape.Length == 2 ? checked((int)t.Shape[0]) : 1;
            numeric = t.Numbers;
        }
        else
        {
            var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var t in tensors)
                if (!byName.TryAdd(t.Name, t)) { problem = $"Input '{t.Name}' is given twice."; return false; }
            var missing = all.Where(f => !byName.ContainsKey(f)).ToList();
            if (missing.Count > 0) { problem = $"Missing inputs: {string.Join(", ", missing)}. Send one input per feature{(all.Count == width ? $", or one [N, {width}] tensor" : "")}."; return false; }
            var extra = byName.Keys.Except(all).ToList();
            if (extra.Count > 0) { problem = $"Unknown inputs: {string.Join(", ", extra)}. The model's features are {string.Join(", ", all)}."; return false; }
            rows = checked((int)byName[all[0]].Length);
            foreach (var t in tensors)
            {
                if (t.Length != rows || !(t.Shape.Length == 1 || (t.Shape.Length == 2 && t.Shape[1] == 1)))
                {
                    problem = $"Input '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; per-feature inputs must all be [N] or [N, 1] with the same N.";
                    return false;
                }
            }
            foreach (var f in card.Features)
                if (byName[f].Numbers is null) { problem = $"Input '{f}' is a numeric feature; send it as FP32 (or another number type), not BYTES."; return false; }
            foreach (var f in card.Categorical.Concat(card.HashedText))
                if (byName[f].Texts is null) { problem = $"Input '{f}' is a text feature; send it as BYTES (strings), not numbers."; return false; }
            numeric = Interleave(card.Features, byName, t => t.Numbers!, rows);
            categorical = Interleave(card.Categorical, byName, t => t.Texts!, rows);
            hashed = Interleave(card.HashedText, byName, t => t.Texts!, rows);
        }
        if (rows == 0) { problem = "The request has no rows."; return false; }
        for (var i = 0; i < numeric.Length; i++)
        {
            var feature = card.Features[i % width];
            if (float.IsNaN(numeric[i]) && card.Imputed.Contains(feature)) continue;
            if (!float.IsFinite(numeric[i]))
            {
                problem = $"Row {i / width}, feature '{feature}' is not a finite number{(card.Imputed.Count > 0 ? $" (null is accepted only for the imputed features: {string.Join(", ", card.Imputed)})" : "")}.";
                return false;
            }
        }
        batch = new ModelInputs(rows, numeric, categorical, hashed);
        return true;
    }

    static T[] Interleave<T>(IReadOnlyList<string> names, Dictionary<string, Tensor> byName, Func<Tensor, T[]> values, int rows)
    {
        var result = new T[rows * names.Count];
        for (var f = 0; f < names.Count; f++)
        {
            var column = values(byName[names[f]]);
            for (var r = 0; r < rows; r++) result[r * names.Count + f] = column[r];
        }
        return result;
    }

    static bool TryReadTensor(JsonElement o, out Tensor tensor, out string problem)
    {
        tensor = null!; problem = "";
        if (o.ValueKind != JsonValueKind.Object) { problem = "Each input must be an object with name, shape, datatype and data."; return false; }
        if (!o.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) { problem = "An input lacks a string 'name'."; return false; }
        var name = n.GetString()!;
        if (!o.TryGetProperty("datatype", out var d) || d.ValueKind != JsonValueKind.String) { problem = $"Input '{name}' lacks a 'datatype'."; return false; }
        var datatype = d.GetString()!;
        var text = datatype == "BYTES";
        if (!text && !NumericTypes.Contains(datatype)) { problem = $"Input '{name}' has datatype '{datatype}'; the model takes numbers (FP32, FP64 or an integer type) or, for text features, BYTES."; return false; }
        if (!o.TryGetProperty("shape", out var shapeNode) || shapeNode.ValueKind != JsonValueKind.Array || shapeNode.GetArrayLength() is 0 or > 2
            || shapeNode.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out _)))
        {
            problem = $"Input '{name}' needs a 'shape' of one or two non-negative integers."; return false;
        }
        var shape = shapeNode.EnumerateArray().Select(v => v.GetInt64()).ToArray();
        if (shape.Any(x => x < 0 || x > 10_000_000)) { problem = $"Input '{name}' has an out-of-range shape."; return false; }
        var expected = shape.Aggregate(1L, (a, b) => a * b);
        if (!o.TryGetProperty("data", out var dataNode) || dataNode.ValueKind != JsonValueKind.Array) { problem = $"Input '{name}' lacks a 'data' array."; return false; }
        var numbers = text ? null : new List<float>((int)Math.Min(expected, 1 << 20));
        var texts = text ? new List<string>((int)Math.Min(expected, 1 << 20)) : null;
        if (!Flatten(dataNode, numbers, texts, name, ref problem)) return false;
        var count = numbers?.Count ?? texts!.Count;
        if (count != expected) { problem = $"Input '{name}' has {count} values but shape [{string.Join(", ", shape)}] needs {expected}."; return false; }
        tensor = new Tensor(name, shape, numbers?.ToArray(), texts?.ToArray());
        return true;
    }

    /// <summary>The protocol allows row-major flat data or nested arrays; both flatten the same way.</summary>
    static bool Flatten(JsonElement array, List<float>? numbers, List<string>? texts, string name, ref string problem)
    {
        foreach (var item in array.EnumerateArray())
        {
            switch (item.ValueKind)
            {
                case JsonValueKind.Array:
                    if (!Flatten(item, numbers, texts, name, ref problem)) return false;
                    break;
                case JsonValueKind.Number when numbers is not null:
                    numbers.Add((float)item.GetDouble());
                    break;
                case JsonValueKind.Null when numbers is not null:
                    numbers.Add(float.NaN); // an empty cell: refused later unless the feature is imputed
                    break;
                case JsonValueKind.String when texts is not null:
                    texts.Add(item.GetString()!);
                    break;
                default:
                    problem = $"Input '{name}' has a value that is not {(numbers is not null ? "a number" : "a string")}: {item.GetRawText()}.";
                    return false;
            }
        }
        return true;
    }
}
