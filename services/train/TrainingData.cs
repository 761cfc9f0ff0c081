using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Train;

/// <summary>
/// The parsed dataset as ML.NET reads it, without an object per row: the numeric (and derived) features are one contiguous
/// float block and every getter copies a row's slice of it (LoadFromEnumerable over one object per row held ~100 MB more on
/// a million rows). The hold-out split is a list of row numbers (<see cref="Split"/>), not ML.NET's TrainTestSplit, whose
/// filter drew a random number for every row of the whole dataset on each of a trainer's passes over its share.
/// Columns, in this order, as far as the layout and task use them: <c>Features</c> (float vector), <c>Categorical</c> and
/// <c>Hashed</c> (text vectors), then the label: <c>Positive</c> (binary), <c>Label</c> (multiclass text) or <c>Value</c> (regression).
/// </summary>
sealed class TrainingData : IDataView
{
    readonly int rows, width, categorical, hashed, timestamps;
    readonly int[]? index;
    readonly float[] features;
    readonly ModelInputs inputs;
    readonly bool[]? positive;
    readonly string[]? labels;
    readonly float[]? values;

    TrainingData(int rows, int width, float[] features, ModelInputs inputs, int categorical, int hashed,
        bool[]? positive, string[]? labels, float[]? values, int[]? index = null)
    {
        (this.rows, this.width, this.features, this.inputs, this.categorical, this.hashed) = (index?.Length ?? rows, width, features, inputs, categorical, hashed);
        timestamps = inputs.Rows == 0 ? 0 : inputs.Timestamps.Length / inputs.Rows;
        this.index = index;
        (this.positive, this.labels, this.values) = (positive, labels, values);
        var schema = new DataViewSchema.Builder();
        if (width > 0) schema.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, width));
        if (categorical > 0) schema.AddColumn(CategoricalColumn, new VectorDataViewType(TextDataViewType.Instance, categorical));
        if (hashed > 0) schema.AddColumn(HashedColumn, new VectorDataViewType(TextDataViewType.Instance, hashed));
        if (positive is not null) schema.AddColumn(PositiveColumn, BooleanDataViewType.Instance);
        if (labels is not null) schema.AddColumn(LabelColumn, TextDataViewType.Instance);
        if (values is not null) schema.AddColumn(ValueColumn, NumberDataViewType.Single);
        Schema = schema.ToSchema();
    }

    public const string FeaturesColumn = "Features", CategoricalColumn = "Categorical", HashedColumn = "Hashed",
        PositiveColumn = "Positive", LabelColumn = "Label", ValueColumn = "Value";

    /// <summary>The rows with the task's label column; the derived features are computed here, once, after the numeric columns.</summary>
    public static TrainingData Of(LabelledRows data, FeatureLayout layout, ModelTask task, string[] classes)
    {
        var inputs = data.Inputs;
        var features = WithDerived(inputs, layout, inputs.Numeric);
        var targets = data.Targets;
        return new(inputs.Rows, layout.Width, features, inputs, layout.Categorical.Count, layout.Hashed.Count,
            task == ModelTask.Binary ? [.. targets.Select(t => t == classes[1])] : null,
            task == ModelTask.Multiclass ? targets : null,
            task == ModelTask.Regression ? [.. targets.Select(t => float.Parse(t, System.Globalization.CultureInfo.InvariantCulture))] : null);
    }

    /// <summary>The first row without its label: the input schema the ONNX export is traced from.</summary>
    public TrainingData InputsOnly() => new(Math.Min(rows, 1), width, features, inputs, categorical, hashed, null, null, null, index?[..1]);

    /// <summary>
    /// A seeded hold-out split of exactly <paramref name="testRows"/> rows drawn at random (a partial Fisher–Yates shuffle of
    /// the row numbers); both sides keep the dataset's row order. The same rows and seed give the same split.
    /// </summary>
    public (TrainingData Train, TrainingData Test) Split(int testRows, int seed)
    {
        var order = Enumerable.Range(0, rows).ToArray();
        var random = new Random(seed);
        for (var i = 0; i < testRows; i++)
        {
            var j = random.Next(i, rows);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var test = order[..testRows];
        var train = order[testRows..];
        Array.Sort(test);
        Array.Sort(train);
        return (Subset(train), Subset(test));
    }

    /// <summary>
    /// The hold-out: exactly <paramref name="testRows"/> rows, those whose content (features and target, hashed with the seed)
    /// ranks lowest. A row's side follows from its own values, not from where it sits or how many rows there are: a later
    /// dataset that contains this one (the data plus labelled production rows) holds out nearly the same old rows, so a
    /// retrain and its champion are compared on rows neither trained on (a split drawn by position put four fifths of the
    /// new hold-out's old rows in the champion's training set); duplicate rows fall on one side together. Both sides keep
    /// the dataset's row order; the same rows and seed give the same split, another seed another one.
    /// </summary>
    public (TrainingData Train, TrainingData Test) HoldOut(int testRows, int seed)
    {
        var keys = new ulong[rows];
        var numericWidth = NumericWidth;
        var hash = new System.IO.Hashing.XxHash3(seed);
        ReadOnlySpan<byte> separator = [0, 0];
        for (var r = 0; r < rows; r++)
        {
            var row = index?[r] ?? r;
            hash.Reset();
            hash.Append(MemoryMarshal.AsBytes(inputs.Numeric.AsSpan(row * numericWidth, numericWidth)));
            foreach (var text in inputs.Categorical.AsSpan(row * categorical, categorical)) { hash.Append(MemoryMarshal.AsBytes(text.AsSpan())); hash.Append(separator); }
            foreach (var text in inputs.Hashed.AsSpan(row * hashed, hashed)) { hash.Append(MemoryMarshal.AsBytes(text.AsSpan())); hash.Append(separator); }
            foreach (var text in inputs.Timestamps.AsSpan(row * timestamps, timestamps)) { hash.Append(MemoryMarshal.AsBytes(text.AsSpan())); hash.Append(separator); }
            if (positive is not null) hash.Append(positive[row] ? [1] : [0]);
            if (labels is not null) hash.Append(MemoryMarshal.AsBytes(labels[row].AsSpan()));
            if (values is not null) hash.Append(MemoryMarshal.AsBytes(values.AsSpan(row, 1)));
            keys[r] = hash.GetCurrentHashAsUInt64();
        }
        var order = Enumerable.Range(0, rows).ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var test = order[..testRows];
        var train = order[testRows..];
        Array.Sort(test);
        Array.Sort(train);
        return (Subset(train), Subset(test));
    }

    /// <summary>This view's rows' raw numeric values, row-major (before derived features and filling).</summary>
    public float[] RawNumeric()
    {
        var numericWidth = NumericWidth;
        var result = new float[rows * numericWidth];
        for (var r = 0; r < rows; r++) inputs.Numeric.AsSpan((index?[r] ?? r) * numericWidth, numericWidth).CopyTo(result.AsSpan(r * numericWidth));
        return result;
    }

    /// <summary>This view's rows' timestamps as their text, row-major (the graph reads their date parts).</summary>
    public string[] RawTimestamps()
    {
        var result = new string[rows * timestamps];
        for (var r = 0; r < rows; r++) inputs.Timestamps.AsSpan((index?[r] ?? r) * timestamps, timestamps).CopyTo(result.AsSpan(r * timestamps));
        return result;
    }

    /// <summary>One raw numeric column's values over this view's rows (before derived features and filling).</summary>
    public IEnumerable<float> RawColumn(int column)
    {
        var numericWidth = NumericWidth;
        for (var r = 0; r < rows; r++) yield return inputs.Numeric[(index?[r] ?? r) * numericWidth + column];
    }

    /// <summary>
    /// The same rows with each empty numeric cell of an imputed column filled (<paramref name="fills"/>, NaN for a column that
    /// is not imputed), the derived features computed from the filled values; the raw inputs (what the split hashes) unchanged.
    /// </summary>
    public TrainingData Filled(float[] fills, FeatureLayout layout)
    {
        var numeric = (float[])inputs.Numeric.Clone();
        for (var i = 0; i < numeric.Length; i++)
            if (float.IsNaN(numeric[i]) && fills[i % fills.Length] is var fill && !float.IsNaN(fill)) numeric[i] = fill;
        var filled = WithDerived(inputs with { Numeric = numeric }, layout, inputs.Numeric);
        return new(rows, width, filled, inputs, categorical, hashed, positive, labels, values, index);
    }

    /// <summary>This full dataset's rows that <paramref name="view"/> (a split of it, or of a copy with the same rows) holds.</summary>
    public TrainingData SameRowsAs(TrainingData view) => index is not null
        ? throw new InvalidOperationException("SameRowsAs takes the rows from a whole dataset, not from a split of one.")
        : view.index is null ? this : Subset(view.index);

    /// <summary>Raw numeric columns per row (the layout's numeric features).</summary>
    int NumericWidth => inputs.Rows == 0 ? 0 : inputs.Numeric.Length / inputs.Rows;

    TrainingData Subset(int[] rowsKept) =>
        new(rows, width, features, inputs, categorical, hashed, positive, labels, values, index is null ? rowsKept : [.. rowsKept.Select(r => index[r])]);

    /// <summary>
    /// Each row as the model learns on it: the numeric columns, the derived features computed from them, one indicator per
    /// column of <see cref="FeatureLayout.Indicators"/> (1 where <paramref name="raw"/>, the values before filling, is empty),
    /// then the timestamps' date parts, part by part (every timestamp's year, then every one's month …), as the graph lays them out.
    /// </summary>
    static float[] WithDerived(ModelInputs inputs, FeatureLayout layout, float[] raw)
    {
        if (layout.Derived.Count == 0 && layout.Indicators.Count == 0 && layout.Timestamps.Count == 0) return inputs.Numeric;
        var (numeric, width, times) = (layout.Numeric.Count, layout.Width, layout.Timestamps.Count);
        var columns = layout.DerivedColumns();
        var features = new float[inputs.Rows * width];
        var derivedWidth = numeric + layout.Derived.Count;
        Span<float> parts = stackalloc float[DateParts.Names.Count];
        for (var i = 0; i < inputs.Rows; i++)
        {
            var row = features.AsSpan(i * width, width);
            layout.WriteDerived(inputs.Numeric.AsSpan(i * numeric, numeric), columns, row[..derivedWidth]);
            for (var k = 0; k < layout.Indicators.Count; k++) row[derivedWidth + k] = float.IsNaN(raw[i * numeric + layout.Indicators[k]]) ? 1 : 0;
            for (var t = 0; t < times; t++)
            {
                if (!DateParts.TryRead(inputs.Timestamps[i * times + t], out var seconds, out var problem))
                    throw new TrainingException($"Row {i + 1}, timestamp '{layout.Timestamps[t]}': {problem}. Validation should have refused it; check features.timestamps.");
                DateParts.Write(seconds, parts);
                for (var p = 0; p < parts.Length; p++) row[layout.DatePartsAt + p * times + t] = parts[p];
            }
        }
        return features;
    }

    public int Rows => rows;

    public DataViewSchema Schema { get; }
    public bool CanShuffle => true;
    public long? GetRowCount() => rows;

    /// <summary>Rows in dataset order, or in a random order drawn from <paramref name="rand"/> (trainers that shuffle, such as SDCA, ask so).</summary>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var order = index;
        if (rand is not null)
        {
            order = index is null ? Enumerable.Range(0, rows).ToArray() : (int[])index.Clone();
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = rand.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return new Cursor(this, order);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(TrainingData data, int[]? order) : DataViewRowCursor
    {
        int position = -1, row = -1;

        public override DataViewSchema Schema => data.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext()
        {
            if (position >= data.rows) return false;
            if (++position == data.rows) return false;
            row = order is null ? position : order[position];
            return true;
        }

        /// <summary>A row's ID is its number in the dataset, whichever order it is read in.</summary>
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)row, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Name switch
            {
                FeaturesColumn => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => Copy(data.features.AsSpan(row * data.width, data.width), ref v)),
                CategoricalColumn => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
                    Text(data.inputs.Categorical.AsSpan(row * data.categorical, data.categorical), ref v)),
                HashedColumn => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
                    Text(data.inputs.Hashed.AsSpan(row * data.hashed, data.hashed), ref v)),
                PositiveColumn => (ValueGetter<bool>)((ref bool v) => v = data.positive![row]),
                LabelColumn => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = data.labels![row].AsMemory()),
                ValueColumn => (ValueGetter<float>)((ref float v) => v = data.values![row]),
                _ => throw new ArgumentOutOfRangeException(nameof(column), $"No column '{column.Name}'."),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        static void Copy(ReadOnlySpan<float> row, ref VBuffer<float> value)
        {
            var editor = VBufferEditor.Create(ref value, row.Length);
            row.CopyTo(editor.Values);
            value = editor.Commit();
        }

        static void Text(ReadOnlySpan<string> row, ref VBuffer<ReadOnlyMemory<char>> value)
        {
            var editor = VBufferEditor.Create(ref value, row.Length);
            for (var i = 0; i < row.Length; i++) editor.Values[i] = row[i].AsMemory();
            value = editor.Commit();
        }
    }
}
