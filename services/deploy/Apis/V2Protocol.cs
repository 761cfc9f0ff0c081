using System.Text.Json;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// The Open Inference Protocol V2's request side: a body read into the model's batch, or the protocol's error
/// (<c>{"error": "..."}</c>) saying exactly what is wrong.
/// </summary>
public static class V2Protocol
{
    public static IResult Error(int status, string message) => TypedResults.Json(new { error = message }, statusCode: status);

    static readonly string[] NumericTypes = ["FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"];

    /// <summary>One decoded input: numbers (NaN for a JSON null) or strings, with its shape.</summary>
    sealed record Tensor(string Name, long[] Shape, float[]? Numbers, string[]? Texts)
    {
        public long Length => Numbers?.Length ?? Texts!.Length;
    }

    /// <summary>The parsed body, or the protocol error to answer (400 not JSON, 413 too large).</summary>
    public sealed class Parsed(JsonDocument? document, IResult? error) : IDisposable
    {
        public JsonElement Root => document!.RootElement;
        public IResult? Error { get; } = error;
        public void Dispose() => document?.Dispose();
    }

    public static async Task<Parsed> ParseAsync(HttpContext http, long limit)
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

    /// <summary>
    /// Reads the request's inputs into the model's batch, or says exactly what is wrong. Accepted: one input per feature
    /// (FP32 or another number type for numeric features, BYTES for text ones and timestamps) of shape [N] or [N, 1]; or,
    /// for a model with only numeric features, one [N, F] tensor with the features in the model's order. JSON null stands
    /// for an empty cell and is accepted only for an imputed feature; a timestamp is its text as in the data (an ISO 8601
    /// date or time, or seconds since 1970; "" for none), read by <see cref="DateParts"/>.
    /// </summary>
    public static bool TryReadInputs(JsonElement body, ModelCard card, out ModelInputs batch, out string problem)
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
        string[] categorical = [], hashed = [], timestamps = [];
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
            foreach (var f in card.Timestamps)
                if (byName[f].Texts is null) { problem = $"Input '{f}' is a timestamp; send it as BYTES, as the data has it (\"2024-03-15T10:30:00\", or seconds since 1970 as text)."; return false; }
            numeric = Interleave(card.Features, byName, t => t.Numbers!, rows);
            categorical = Interleave(card.Categorical, byName, t => t.Texts!, rows);
            hashed = Interleave(card.HashedText, byName, t => t.Texts!, rows);
            timestamps = Interleave(card.Timestamps, byName, t => t.Texts!, rows);
            for (var i = 0; i < timestamps.Length; i++)
                if (!DateParts.TryRead(timestamps[i], out _, out var why))
                {
                    problem = $"Row {i / card.Timestamps.Count}, feature '{card.Timestamps[i % card.Timestamps.Count]}': {why}.";
                    return false;
                }
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
        batch = new ModelInputs(rows, numeric, categorical, hashed, timestamps);
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
