using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// The Open Inference Protocol V2 (KServe) over the models this service serves. Errors are the protocol's
/// <c>{"error": "..."}</c> with 400 (bad request), 404 (unknown model or version) or 413 (body too large).
/// Inputs: either one FP32/FP64/INT32/INT64 tensor of shape [N, F] with the features in the model's order,
/// or one tensor per feature, named as the feature, of shape [N] or [N, 1].
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
        group.MapPost("/models/{name}/infer", Infer);
        group.MapPost("/models/{name}/versions/{version}/infer", InferVersion);
        return group;
    }

    static IResult Error(int status, string message) => TypedResults.Json(new { error = message }, statusCode: status);

    static IResult ServerMetadata() => TypedResults.Ok(new { name = "mlops-deploy", version = MlOps.ServiceDefaults.CodeVersion.Current, extensions = Array.Empty<string>() });

    static IResult ModelReady(string name, ModelCatalog catalog) =>
        catalog.Get(name) is { } m ? TypedResults.Ok(new { name, version = m.Version.ToString(), ready = true }) : Error(404, UnknownModel(name));

    static string UnknownModel(string name) => $"Model '{(name.Length > 80 ? name[..80] + "…" : name)}' is not served. A pipeline's model is served once a version passes the gate.";

    static IResult ModelMetadata(string name, ModelCatalog catalog)
    {
        if (catalog.Get(name) is not { } m) return Error(404, UnknownModel(name));
        var card = m.Scorer.Card;
        return TypedResults.Ok(new
        {
            name,
            versions = new[] { m.Version.ToString() },
            platform = "onnxruntime_onnx",
            inputs = new object[] { new { name = card.OnnxInput, datatype = "FP32", shape = new[] { -1, card.Features.Count } } },
            outputs = new object[]
            {
                new { name = "label", datatype = "BYTES", shape = new[] { -1 } },
                new { name = "probabilities", datatype = "FP32", shape = new[] { -1, card.Classes.Count } },
            },
            parameters = new
            {
                run_id = m.RunId.ToString("N"), model_sha256 = card.ModelSha256, execution_provider = m.Scorer.ExecutionProvider,
                task = card.Task.ToString(), trainer = card.Trainer, features = card.Features, classes = card.Classes,
                deployed_at = m.DeployedAt,
            },
        });
    }

    static Task<IResult> InferVersion(string name, string version, HttpContext http, ModelCatalog catalog, PredictionLog log, IOptions<DeployOptions> options) =>
        catalog.Get(name) is { } m && m.Version.ToString() != version
            ? Task.FromResult(Error(404, $"Model '{name}' serves version {m.Version}, not '{(version.Length > 20 ? version[..20] : version)}'."))
            : Infer(name, http, catalog, log, options);

    static async Task<IResult> Infer(string name, HttpContext http, ModelCatalog catalog, PredictionLog log, IOptions<DeployOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        // Take the model once: a swap during this request does not change who answers it.
        if (catalog.Get(name) is not { } model) return Error(404, UnknownModel(name));
        var limit = options.Value.MaxRequestBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (http.Request.ContentLength > limit) return Error(413, $"The request body is {http.Request.ContentLength} bytes; the limit is {limit}.");

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            return Error(400, $"The body is not valid JSON: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return Error(413, $"The request body passed the limit of {limit} bytes.");
        }

        var card = model.Scorer.Card;
        if (!TryReadFeatures(body, card, out var features, out var rows, out var problem)) return Error(400, problem);
        var predictions = model.Scorer.Score(features, rows);

        var requestId = body?["id"]?.GetValueKind() == JsonValueKind.String ? body["id"]!.GetValue<string>() : Guid.NewGuid().ToString("N");
        var predictionIds = new string[rows];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < rows; i++)
        {
            predictionIds[i] = $"{model.RunId:N}-{Guid.NewGuid():N}";
            log.Add(model, new ServedPrediction(predictionIds[i], features.AsSpan(i * card.Features.Count, card.Features.Count).ToArray(), predictions[i].Label, now));
        }

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
            outputs = new object[]
            {
                new { name = "label", datatype = "BYTES", shape = new[] { rows }, data = predictions.Select(p => p.Label) },
                new { name = "probabilities", datatype = "FP32", shape = new[] { rows, card.Classes.Count }, data = predictions.SelectMany(p => p.Probabilities) },
            },
        });
    }

    static readonly string[] NumericTypes = ["FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"];

    /// <summary>Reads the request's inputs into a row-major [rows × features] array, or says exactly what is wrong.</summary>
    static bool TryReadFeatures(JsonNode? body, ModelCard card, out float[] features, out int rows, out string problem)
    {
        features = []; rows = 0; problem = "";
        var width = card.Features.Count;
        if (body is not JsonObject || body["inputs"] is not JsonArray inputs || inputs.Count == 0)
        {
            problem = "The request needs an 'inputs' array: {\"inputs\": [{\"name\": \"" + card.OnnxInput + "\", \"shape\": [N, " + width + "], \"datatype\": \"FP32\", \"data\": [...]}]}.";
            return false;
        }
        var tensors = new List<(string Name, long[] Shape, float[] Data)>();
        foreach (var input in inputs)
        {
            if (!TryReadTensor(input, out var tensor, out problem)) return false;
            tensors.Add(tensor);
        }

        if (tensors.Count == 1 && !card.Features.Contains(tensors[0].Name))
        {
            var (tensorName, shape, data) = tensors[0];
            if (!(shape.Length == 2 && shape[1] == width) && !(shape.Length == 1 && shape[0] == width))
            {
                problem = $"Input '{tensorName}' has shape [{string.Join(", ", shape)}]; the model takes [N, {width}] (features: {string.Join(", ", card.Features)}).";
                return false;
            }
            rows = shape.Length == 2 ? checked((int)shape[0]) : 1;
            features = data;
        }
        else
        {
            var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
            var missing = card.Features.Where(f => !byName.ContainsKey(f)).ToList();
            if (missing.Count > 0) { problem = $"Missing inputs: {string.Join(", ", missing)}. Send one input per feature, or one [N, {width}] tensor."; return false; }
            var extra = byName.Keys.Except(card.Features).ToList();
            if (extra.Count > 0) { problem = $"Unknown inputs: {string.Join(", ", extra)}. The model's features are {string.Join(", ", card.Features)}."; return false; }
            rows = byName[card.Features[0]].Data.Length;
            foreach (var (tensorName, shape, data) in tensors)
            {
                if (data.Length != rows || !(shape.Length == 1 || (shape.Length == 2 && shape[1] == 1)))
                {
                    problem = $"Input '{tensorName}' has shape [{string.Join(", ", shape)}]; per-feature inputs must all be [N] or [N, 1] with the same N.";
                    return false;
                }
            }
            features = new float[rows * width];
            for (var f = 0; f < width; f++)
            {
                var column = byName[card.Features[f]].Data;
                for (var r = 0; r < rows; r++) features[r * width + f] = column[r];
            }
        }
        if (rows == 0) { problem = "The request has no rows."; return false; }
        for (var i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                problem = $"Row {i / width}, feature '{card.Features[i % width]}' is not a finite number.";
                return false;
            }
        }
        return true;
    }

    static bool TryReadTensor(JsonNode? input, out (string Name, long[] Shape, float[] Data) tensor, out string problem)
    {
        tensor = default; problem = "";
        if (input is not JsonObject o) { problem = "Each input must be an object with name, shape, datatype and data."; return false; }
        if (o["name"] is not JsonValue n || n.GetValueKind() != JsonValueKind.String) { problem = "An input lacks a string 'name'."; return false; }
        var name = n.GetValue<string>();
        if (o["datatype"] is not JsonValue d || d.GetValueKind() != JsonValueKind.String) { problem = $"Input '{name}' lacks a 'datatype'."; return false; }
        var datatype = d.GetValue<string>();
        if (!NumericTypes.Contains(datatype)) { problem = $"Input '{name}' has datatype '{datatype}'; the model takes numbers (FP32, FP64 or an integer type)."; return false; }
        if (o["shape"] is not JsonArray shapeNode || shapeNode.Count is 0 or > 2 || shapeNode.Any(s => s is not JsonValue v || v.GetValueKind() != JsonValueKind.Number))
        {
            problem = $"Input '{name}' needs a 'shape' of one or two non-negative integers."; return false;
        }
        long[] shape;
        try { shape = shapeNode.Select(s => s!.GetValue<long>()).ToArray(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException) { problem = $"Input '{name}' has a shape that is not integers."; return false; }
        if (shape.Any(s => s < 0 || s > 10_000_000)) { problem = $"Input '{name}' has an out-of-range shape."; return false; }
        var expected = shape.Aggregate(1L, (a, b) => a * b);
        var data = new List<float>((int)Math.Min(expected, 1 << 20));
        if (o["data"] is not JsonArray dataNode) { problem = $"Input '{name}' lacks a 'data' array."; return false; }
        if (!Flatten(dataNode, data, name, ref problem)) return false;
        if (data.Count != expected) { problem = $"Input '{name}' has {data.Count} values but shape [{string.Join(", ", shape)}] needs {expected}."; return false; }
        tensor = (name, shape, data.ToArray());
        return true;
    }

    /// <summary>The protocol allows row-major flat data or nested arrays; both flatten the same way.</summary>
    static bool Flatten(JsonArray array, List<float> into, string name, ref string problem)
    {
        foreach (var item in array)
        {
            switch (item)
            {
                case JsonArray nested:
                    if (!Flatten(nested, into, name, ref problem)) return false;
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    into.Add((float)v.GetValue<double>());
                    break;
                default:
                    problem = $"Input '{name}' has a value that is not a number: {(item is null ? "null" : item.ToJsonString())}.";
                    return false;
            }
        }
        return true;
    }
}
