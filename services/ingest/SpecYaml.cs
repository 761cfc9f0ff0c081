using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MlOps.Ingest;

/// <summary>
/// A pipeline spec written in YAML (suites read better that way), turned into the JSON the spec is stored as: mappings
/// become objects, sequences arrays, plain scalars numbers, booleans or null where YAML 1.2's core schema says so, quoted
/// ones strings. Read event by event; aliases are refused (no "billion laughs"), and so are documents nested deeper than
/// <see cref="MaxDepth"/> or with more than <see cref="MaxNodes"/> nodes.
/// </summary>
public static class SpecYaml
{
    public const int MaxDepth = 32;
    public const int MaxNodes = 100_000;

    public static bool IsYaml(string? contentType) =>
        contentType is not null && (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) || contentType.Contains("yml", StringComparison.OrdinalIgnoreCase));

    /// <summary>The document as JSON, or an exception (<see cref="YamlException"/>, <see cref="InvalidDataException"/>) saying where it is wrong.</summary>
    public static JsonNode? ToJson(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        if (parser.TryConsume<StreamEnd>(out _)) return null;
        parser.Consume<DocumentStart>();
        var nodes = 0;
        var root = Read(parser, 0, ref nodes);
        parser.Consume<DocumentEnd>();
        if (!parser.TryConsume<StreamEnd>(out _)) throw new InvalidDataException("Send one YAML document, not several.");
        return root;
    }

    static JsonNode? Read(IParser parser, int depth, ref int nodes)
    {
        if (++nodes > MaxNodes) throw new InvalidDataException($"The YAML has more than {MaxNodes:N0} nodes.");
        if (depth > MaxDepth) throw new InvalidDataException($"The YAML is nested deeper than {MaxDepth} levels.");
        if (parser.TryConsume<AnchorAlias>(out var alias))
            throw new InvalidDataException($"YAML aliases (*{alias.Value}) are not accepted in a pipeline spec (line {alias.Start.Line}); write the value out.");
        if (parser.TryConsume<Scalar>(out var scalar)) return ScalarValue(scalar);
        if (parser.TryConsume<SequenceStart>(out _))
        {
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _)) array.Add(Read(parser, depth + 1, ref nodes));
            return array;
        }
        if (parser.TryConsume<MappingStart>(out _))
        {
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = parser.Consume<Scalar>();
                if (obj.ContainsKey(key.Value)) throw new InvalidDataException($"The key '{key.Value}' appears twice (line {key.Start.Line}).");
                obj[key.Value] = Read(parser, depth + 1, ref nodes);
            }
            return obj;
        }
        throw new InvalidDataException($"Unexpected YAML at line {parser.Current?.Start.Line}.");
    }

    static JsonNode? ScalarValue(Scalar scalar)
    {
        var text = scalar.Value;
        if (!scalar.IsPlainImplicit) return JsonValue.Create(text); // quoted or tagged: a string as written
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)) return JsonValue.Create(whole);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)) return JsonValue.Create(number);
        return JsonValue.Create(text);
    }
}
