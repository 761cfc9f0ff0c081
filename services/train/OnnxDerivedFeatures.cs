using Google.Protobuf;
using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// Puts filling and derived features inside the exported ONNX graph. Filling: when columns are imputed, an IsNaN and a Where
/// node at the head of the graph replace each empty cell (NaN) of <c>Features</c> with its column's fill value (an
/// initializer), exactly the values training filled in. Derived features: ML.NET learns on [raw features, derived features]; its export takes
/// that whole vector as <c>Features</c>. This rewrites the graph so that <c>Features</c> is the raw columns alone
/// ([N, raw]) and new nodes at its head compute each derived column (Gather the two columns, Add/Sub/Mul/Div, in float32
/// exactly as training computed them) and Concat them into the vector the rest of the graph reads. Timestamps: a new input,
/// <c>Timestamps</c> (double [N, T], whole seconds since 1970), from which nodes compute <see cref="DateParts"/> (days and
/// civil-from-days arithmetic in float64: every step an exact integer) and append them, part by part, after the rest. Serving
/// then sends the dataset's columns only, and there is no second implementation of the arithmetic to drift from the first.
/// The rewrite works on the protobuf wire format (field numbers from onnx.proto), copying every field it does not touch.
/// </summary>
public static class OnnxDerivedFeatures
{
    const string Input = "Features";
    const string TimesInput = ModelCard.TimestampInput;
    const string Filled = "Features.filled";
    const string Assembled = "Features.with_derived";

    // onnx.proto field numbers
    const int ModelGraph = 7;
    const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11;
    const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    const int AttributeName = 1, AttributeInt = 3, AttributeType = 20, AttributeTypeInt = 2;
    const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorInt64Data = 7, TensorName = 8, TensorDoubleData = 10, TensorInt64 = 7, TensorFloat = 1, TensorDouble = 11;
    const int ValueInfoName = 1, ValueInfoType = 2, TypeTensor = 1, TensorTypeElem = 1, TensorTypeShape = 2, ShapeDim = 1;
    const int DimValue = 1, DimParam = 2, ElemFloat = 1, ElemDouble = 11;

    /// <summary>
    /// The graph with empty cells filled (<paramref name="fills"/>: per raw numeric column, NaN for one that is not imputed) and
    /// the layout's derived features computed inside it; unchanged when there is neither.
    /// </summary>
    public static byte[] Prepend(byte[] model, FeatureLayout layout, float[]? fills = null)
    {
        if (layout.Derived.Count == 0 && layout.Timestamps.Count == 0 && fills is null) return model;
        using var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        var reader = new CodedInputStream(model);
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == ModelGraph)
            {
                writer.WriteTag(tag);
                writer.WriteBytes(RewriteGraph(reader.ReadBytes(), layout, fills));
            }
            else CopyField(reader, writer, tag);
        }
        writer.Flush();
        return output.ToArray();
    }

    static ByteString RewriteGraph(ByteString graph, FeatureLayout layout, float[]? fills)
    {
        using var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        // The new nodes come first, before every node that reads what they make: filling, then the derived columns.
        var source = Input;
        if (fills is not null)
        {
            Initializer(writer, "Features.fill", fills);
            Node(writer, "IsNaN", [Input], "Features.missing", "fill.isnan");
            Node(writer, "Where", ["Features.missing", "Features.fill", Input], Filled, "fill.where");
            source = Filled;
        }
        var assembled = source;
        var raw = layout.Numeric.Count > 0;
        var parts = new List<string>();
        if (raw) parts.Add(source);
        if (layout.Derived.Count > 0)
        {
            var columns = layout.DerivedColumns();
            for (var i = 0; i < layout.Derived.Count; i++)
            {
                var d = layout.Derived[i];
                var a = Column(writer, source, columns[i].A, $"derived{i}.a");
                var b = Column(writer, source, columns[i].B, $"derived{i}.b");
                var op = d.Op switch { "sum" => "Add", "difference" => "Sub", "product" => "Mul", "ratio" => "Div", _ => throw new TrainingException($"Unknown derived op '{d.Op}'.") };
                var result = $"derived.{d.Name}";
                Node(writer, op, [a, b], result, $"derived{i}.{op}");
                parts.Add(result);
            }
        }
        if (layout.Indicators.Count > 0)
        {
            // 1 where the raw cell was empty, for the imputed columns that have an indicator, after the derived features.
            if (fills is null) throw new TrainingException("Missing-value indicators belong to imputed columns, and none is imputed.");
            Node(writer, "Cast", ["Features.missing"], "Features.missing.float", "indicators.cast", to: ElemFloat);
            Int64Initializer(writer, "indicators.index", layout.Indicators);
            Node(writer, "Gather", ["Features.missing.float", "indicators.index"], "indicators", "indicators.gather", axis: 1);
            parts.Add("indicators");
        }
        if (layout.Timestamps.Count > 0) parts.Add(DatePartNodes(writer));
        if (parts.Count > 1 || !raw)
        {
            Node(writer, "Concat", parts, Assembled, "derived.concat", axis: 1);
            assembled = Assembled;
        }

        var reader = new CodedInputStream(graph.ToByteArray());
        var replacedInput = false;
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case GraphNode:
                    writer.WriteTag(tag);
                    writer.WriteBytes(RenameInputs(reader.ReadBytes(), assembled));
                    break;
                case GraphInput:
                    var info = reader.ReadBytes();
                    if (NameOf(info) == Input)
                    {
                        // The raw numeric columns; none when the model's numeric vector is all computed (date parts alone).
                        if (raw) { writer.WriteTag(tag); writer.WriteBytes(TensorInput(Input, ElemFloat, layout.Numeric.Count)); }
                        if (layout.Timestamps.Count > 0) { writer.WriteTag(tag); writer.WriteBytes(TensorInput(TimesInput, ElemDouble, layout.Timestamps.Count)); }
                        replacedInput = true;
                    }
                    else { writer.WriteTag(tag); writer.WriteBytes(info); }
                    break;
                default:
                    CopyField(reader, writer, tag);
                    break;
            }
        }
        if (!replacedInput) throw new TrainingException($"The exported graph has no '{Input}' input to fill or compute derived features from.");
        writer.Flush();
        return ByteString.CopyFrom(output.ToArray());
    }

    /// <summary>
    /// The date parts of <c>Timestamps</c> (double [N, T]) as float [N, 5T], part by part (year of every column, then month …),
    /// -1 where a cell is empty (NaN): the nodes take exactly the steps of <see cref="DateParts.Write"/>, in float64.
    /// </summary>
    static string DatePartNodes(CodedOutputStream writer)
    {
        var constants = new Dictionary<double, string>();
        var count = 0;
        string Constant(double value)
        {
            if (constants.TryGetValue(value, out var name)) return name;
            name = $"dateparts.const{constants.Count}";
            DoubleScalar(writer, name, value);
            return constants[value] = name;
        }
        string Op(string op, string a, double b) => Op2(op, a, Constant(b));
        string Op2(string op, string a, string b)
        {
            var output = $"dateparts.{count++}";
            Node(writer, op, [a, b], output, $"{output}.{op}");
            return output;
        }
        string Floor(string a)
        {
            var output = $"dateparts.{count++}";
            Node(writer, "Floor", [a], output, $"{output}.Floor");
            return output;
        }
        string FloorDiv(string a, double b) => Floor(Op("Div", a, b));

        var days = FloorDiv(TimesInput, 86400);
        var hour = FloorDiv(Op2("Sub", TimesInput, Op("Mul", days, 86400)), 3600);
        var shifted = Op("Add", days, 3);
        var weekday = Op2("Sub", shifted, Op("Mul", FloorDiv(shifted, 7), 7));
        var z = Op("Add", days, 719468);
        var era = FloorDiv(z, 146097);
        var dayOfEra = Op2("Sub", z, Op("Mul", era, 146097));
        var yearOfEra = FloorDiv(Op2("Sub", Op2("Add", Op2("Sub", dayOfEra, FloorDiv(dayOfEra, 1460)), FloorDiv(dayOfEra, 36524)), FloorDiv(dayOfEra, 146096)), 365);
        var dayOfYear = Op2("Sub", dayOfEra, Op2("Sub", Op2("Add", Op("Mul", yearOfEra, 365), FloorDiv(yearOfEra, 4)), FloorDiv(yearOfEra, 100)));
        var monthFromMarch = FloorDiv(Op("Add", Op("Mul", dayOfYear, 5), 2), 153);
        var day = Op("Add", Op2("Sub", dayOfYear, FloorDiv(Op("Add", Op("Mul", monthFromMarch, 153), 2), 5)), 1);
        var januaryOrFebruary = FloorDiv(monthFromMarch, 10);
        var month = Op2("Sub", Op("Add", monthFromMarch, 3), Op("Mul", januaryOrFebruary, 12));
        var year = Op2("Add", Op2("Add", yearOfEra, Op("Mul", era, 400)), januaryOrFebruary);

        Node(writer, "Concat", [year, month, day, weekday, hour], "dateparts.double", "dateparts.concat", axis: 1);
        Node(writer, "Cast", ["dateparts.double"], "dateparts.float", "dateparts.cast", to: ElemFloat);
        Node(writer, "IsNaN", ["dateparts.float"], "dateparts.empty", "dateparts.isnan");
        Initializer(writer, "dateparts.missing", [DateParts.Missing]);
        Node(writer, "Where", ["dateparts.empty", "dateparts.missing", "dateparts.float"], "dateparts", "dateparts.where");
        return "dateparts";
    }

    /// <summary>A double scalar initializer (a constant the date-part arithmetic broadcasts).</summary>
    static void DoubleScalar(CodedOutputStream writer, string name, double value)
    {
        writer.WriteTag(GraphInitializer, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(Message(w =>
        {
            w.WriteTag(TensorDataType, WireFormat.WireType.Varint); w.WriteInt32(TensorDouble);
            w.WriteTag(TensorDoubleData, WireFormat.WireType.LengthDelimited);
            w.WriteBytes(ByteString.CopyFrom(BitConverter.GetBytes(value)));
            w.WriteTag(TensorName, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        }));
    }

    /// <summary>A float initializer of shape [1, values.Length]: one value per column, broadcast over the rows.</summary>
    static void Initializer(CodedOutputStream writer, string name, float[] values)
    {
        writer.WriteTag(GraphInitializer, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(Message(w =>
        {
            w.WriteTag(TensorDims, WireFormat.WireType.Varint); w.WriteInt64(1);
            w.WriteTag(TensorDims, WireFormat.WireType.Varint); w.WriteInt64(values.Length);
            w.WriteTag(TensorDataType, WireFormat.WireType.Varint); w.WriteInt32(TensorFloat);
            w.WriteTag(TensorFloatData, WireFormat.WireType.LengthDelimited);
            w.WriteBytes(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));
            w.WriteTag(TensorName, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        }));
    }

    /// <summary>An int64 initializer of shape [values.Count]: column positions for a Gather.</summary>
    static void Int64Initializer(CodedOutputStream writer, string name, IReadOnlyList<int> values)
    {
        writer.WriteTag(GraphInitializer, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(Message(w =>
        {
            w.WriteTag(TensorDims, WireFormat.WireType.Varint); w.WriteInt64(values.Count);
            w.WriteTag(TensorDataType, WireFormat.WireType.Varint); w.WriteInt32(TensorInt64);
            foreach (var v in values) { w.WriteTag(TensorInt64Data, WireFormat.WireType.Varint); w.WriteInt64(v); }
            w.WriteTag(TensorName, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        }));
    }

    /// <summary>Gathers one column of <paramref name="source"/> as [N, 1] (an int64 index initializer and a Gather node on axis 1).</summary>
    static string Column(CodedOutputStream writer, string source, int index, string name)
    {
        var indices = $"{name}.index";
        writer.WriteTag(GraphInitializer, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(Message(w =>
        {
            w.WriteTag(TensorDims, WireFormat.WireType.Varint); w.WriteInt64(1);
            w.WriteTag(TensorDataType, WireFormat.WireType.Varint); w.WriteInt32(TensorInt64);
            w.WriteTag(TensorInt64Data, WireFormat.WireType.Varint); w.WriteInt64(index);
            w.WriteTag(TensorName, WireFormat.WireType.LengthDelimited); w.WriteString(indices);
        }));
        Node(writer, "Gather", [source, indices], name, $"{name}.gather", axis: 1);
        return name;
    }

    static void Node(CodedOutputStream writer, string op, IReadOnlyList<string> inputs, string output, string name, long? axis = null, long? to = null)
    {
        writer.WriteTag(GraphNode, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(Message(w =>
        {
            foreach (var input in inputs) { w.WriteTag(NodeInput, WireFormat.WireType.LengthDelimited); w.WriteString(input); }
            w.WriteTag(NodeOutput, WireFormat.WireType.LengthDelimited); w.WriteString(output);
            w.WriteTag(NodeName, WireFormat.WireType.LengthDelimited); w.WriteString(name);
            w.WriteTag(NodeOpType, WireFormat.WireType.LengthDelimited); w.WriteString(op);
            foreach (var (key, value) in new[] { ("axis", axis), ("to", to) })
            {
                if (value is not { } v) continue;
                w.WriteTag(NodeAttribute, WireFormat.WireType.LengthDelimited);
                w.WriteBytes(Message(attribute =>
                {
                    attribute.WriteTag(AttributeName, WireFormat.WireType.LengthDelimited); attribute.WriteString(key);
                    attribute.WriteTag(AttributeInt, WireFormat.WireType.Varint); attribute.WriteInt64(v);
                    attribute.WriteTag(AttributeType, WireFormat.WireType.Varint); attribute.WriteInt32(AttributeTypeInt);
                }));
            }
        }));
    }

    /// <summary>A graph input: <paramref name="elem"/> [N, width].</summary>
    static ByteString TensorInput(string name, int elem, int width) => Message(w =>
    {
        w.WriteTag(ValueInfoName, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        w.WriteTag(ValueInfoType, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(Message(type =>
        {
            type.WriteTag(TypeTensor, WireFormat.WireType.LengthDelimited);
            type.WriteBytes(Message(tensor =>
            {
                tensor.WriteTag(TensorTypeElem, WireFormat.WireType.Varint); tensor.WriteInt32(elem);
                tensor.WriteTag(TensorTypeShape, WireFormat.WireType.LengthDelimited);
                tensor.WriteBytes(Message(shape =>
                {
                    shape.WriteTag(ShapeDim, WireFormat.WireType.LengthDelimited);
                    shape.WriteBytes(Message(dim => { dim.WriteTag(DimParam, WireFormat.WireType.LengthDelimited); dim.WriteString("N"); }));
                    shape.WriteTag(ShapeDim, WireFormat.WireType.LengthDelimited);
                    shape.WriteBytes(Message(dim => { dim.WriteTag(DimValue, WireFormat.WireType.Varint); dim.WriteInt64(width); }));
                }));
            }));
        }));
    });

    /// <summary>A node of the original graph, reading the assembled vector wherever it read the input.</summary>
    static ByteString RenameInputs(ByteString node, string assembled)
    {
        var reader = new CodedInputStream(node.ToByteArray());
        return Message(w =>
        {
            uint tag;
            while ((tag = reader.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == NodeInput)
                {
                    var name = reader.ReadString();
                    w.WriteTag(tag);
                    w.WriteString(name == Input ? assembled : name);
                }
                else CopyField(reader, w, tag);
            }
        });
    }

    static string? NameOf(ByteString valueInfo)
    {
        var reader = new CodedInputStream(valueInfo.ToByteArray());
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == ValueInfoName) return reader.ReadString();
            reader.SkipLastField();
        }
        return null;
    }

    static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var w = new CodedOutputStream(buffer);
        write(w);
        w.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }

    static void CopyField(CodedInputStream reader, CodedOutputStream writer, uint tag)
    {
        writer.WriteTag(tag);
        switch (WireFormat.GetTagWireType(tag))
        {
            case WireFormat.WireType.Varint: writer.WriteUInt64(reader.ReadUInt64()); break;
            case WireFormat.WireType.Fixed64: writer.WriteFixed64(reader.ReadFixed64()); break;
            case WireFormat.WireType.LengthDelimited: writer.WriteBytes(reader.ReadBytes()); break;
            case WireFormat.WireType.Fixed32: writer.WriteFixed32(reader.ReadFixed32()); break;
            default: throw new InvalidDataException($"Unexpected protobuf wire type in the ONNX model (tag {tag}).");
        }
    }
}
