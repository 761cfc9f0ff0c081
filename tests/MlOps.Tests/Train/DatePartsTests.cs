using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlOps.Scoring;
using MlOps.Train;

namespace MlOps.Tests;

/// <summary>
/// Timestamps as features (issue 15): one reading of the text, date parts computed by the model's ONNX graph and by training
/// in the same steps, both held to .NET's own calendar, and a model that learns from them.
/// </summary>
public class DatePartsTests
{
    /// <summary>Seconds across the whole calendar, and the edges where a civil-date formula goes wrong first.</summary>
    static double[] Seconds()
    {
        var random = new Random(15);
        var edges = new[]
        {
            "0001-01-01T00:00:00", "9999-12-31T23:59:59", "1970-01-01T00:00:00", "1969-12-31T23:59:59", "1900-02-28T23:00:00",
            "1900-03-01T00:59:59", "2000-02-29T12:00:00", "2000-03-01T00:00:00", "2024-02-29T23:59:59", "2100-03-01T00:00:00",
            "1600-02-29T01:00:00", "0004-02-29T00:00:00", "2023-12-31T23:59:59", "2024-01-01T00:00:00",
        }.Select(t => (DateTime.Parse(t, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) - DateTime.UnixEpoch).TotalSeconds);
        var near = Enumerable.Range(0, 20_000).Select(_ => (double)random.NextInt64(-5_000_000_000, 5_000_000_000));
        var anywhere = Enumerable.Range(0, 20_000).Select(_ => (double)random.NextInt64((long)DateParts.MinSeconds, (long)DateParts.MaxSeconds + 1));
        return [.. edges, .. near, .. anywhere];
    }

    static float[] Calendar(double seconds)
    {
        var at = DateTime.UnixEpoch.AddSeconds(seconds);
        return [at.Year, at.Month, at.Day, ((int)at.DayOfWeek + 6) % 7, at.Hour];
    }

    [Fact]
    public void TrainingsDatePartsAreTheCalendars()
    {
        var parts = new float[5];
        foreach (var s in Seconds())
        {
            DateParts.Write(s, parts);
            Assert.True(Calendar(s).SequenceEqual(parts), $"{DateTime.UnixEpoch.AddSeconds(s):O}: [{string.Join(", ", parts)}], .NET says [{string.Join(", ", Calendar(s))}]");
        }
        DateParts.Write(double.NaN, parts);
        Assert.All(parts, p => Assert.Equal(DateParts.Missing, p));
    }

    sealed class Row
    {
        [VectorType(5)] public float[] Features { get; set; } = new float[5];
    }

    /// <summary>
    /// The nodes train puts at the head of a model's graph, run by ONNX Runtime on their own: an ML.NET model that copies its
    /// feature vector out, whose vector the rewrite replaces by the date parts of a <c>Timestamps</c> input.
    /// </summary>
    [Fact]
    public void TheGraphsDatePartsAreTheCalendarsAndTrainings()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row() });
        var model = ml.Transforms.CopyColumns("Parts", "Features").Fit(data);
        using var exported = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, exported);
        var onnx = OnnxDerivedFeatures.Prepend(exported.ToArray(), new FeatureLayout([], [], [], TimestampColumns: ["at", "shipped"]));

        using var session = new InferenceSession(onnx);
        Assert.Equal([ModelCard.TimestampInput], session.InputMetadata.Keys); // no numeric input: the vector is all date parts
        Assert.Equal(typeof(double), session.InputMetadata[ModelCard.TimestampInput].ElementType);
        var seconds = Seconds();
        // Two timestamp columns: the second is the first a day and an hour later, or empty on every seventh row.
        var input = new double[seconds.Length * 2];
        for (var i = 0; i < seconds.Length; i++)
        {
            input[2 * i] = seconds[i];
            input[2 * i + 1] = i % 7 == 0 || seconds[i] + 90_000 > DateParts.MaxSeconds ? double.NaN : seconds[i] + 90_000;
        }
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(ModelCard.TimestampInput, new DenseTensor<double>(input, [seconds.Length, 2]))]);
        var parts = results.Single(r => r.Name == "Parts.output").AsTensor<float>();
        Assert.Equal([seconds.Length, 10], parts.Dimensions.ToArray());
        var expected = new float[5];
        for (var i = 0; i < seconds.Length; i++)
            for (var column = 0; column < 2; column++)
            {
                var s = input[2 * i + column];
                DateParts.Write(s, expected);
                if (!double.IsNaN(s)) Assert.Equal(Calendar(s), expected);
                // Laid out part by part: year of both columns, then month of both …
                var got = Enumerable.Range(0, 5).Select(p => parts[i, p * 2 + column]).ToArray();
                Assert.True(expected.SequenceEqual(got), $"row {i} column {column} ({s}): graph [{string.Join(", ", got)}], training [{string.Join(", ", expected)}]");
            }
    }

    [Theory]
    [InlineData("2024-03-15", "2024-03-15T00:00:00")]
    [InlineData("2024-03-15T10:30", "2024-03-15T10:30:00")]
    [InlineData("2024-03-15T10:30:59.999Z", "2024-03-15T10:30:59")]
    [InlineData("2024-03-15T23:30:00+02:00", "2024-03-15T23:30:00")] // the clock as written, not UTC
    [InlineData("2024-03-15 23:30:00-0500", "2024-03-15T23:30:00")]
    [InlineData("2024/03/15 08:00", "2024-03-15T08:00:00")]
    [InlineData(" 2024-03-15 ", "2024-03-15T00:00:00")]
    [InlineData("1710498600", "2024-03-15T10:30:00")]
    [InlineData("1710498600.75", "2024-03-15T10:30:00")]
    [InlineData("-86400", "1969-12-31T00:00:00")]
    public void ATimestampIsReadAsItsClockToTheSecond(string text, string clock)
    {
        Assert.True(DateParts.TryRead(text, out var seconds, out var problem), problem);
        Assert.Equal(DateTime.Parse(clock, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), DateTime.UnixEpoch.AddSeconds(seconds));
    }

    [Theory]
    [InlineData("2024-02-30", "is not an ISO 8601 date or time")]
    [InlineData("15/03/2024", "is not an ISO 8601 date or time")]
    [InlineData("03/04/2024 10:00", "is not an ISO 8601 date or time")]
    [InlineData("2024-03-15T25:00", "is not an ISO 8601 date or time")]
    [InlineData("yesterday", "is not an ISO 8601 date or time")]
    [InlineData("1710498600000", "divide it by 1000")]
    [InlineData("NaN", "is not an ISO 8601 date or time")]
    public void WhatIsNotATimestampSaysWhatWouldBe(string text, string problem)
    {
        Assert.False(DateParts.TryRead(text, out _, out var why));
        Assert.Contains(problem, why);
        Assert.Contains(text, why);
    }

    [Fact]
    public void AnEmptyCellIsNoTimeAtAll()
    {
        Assert.True(DateParts.TryRead("", out var seconds, out _));
        Assert.True(double.IsNaN(seconds));
    }

    /// <summary>
    /// Orders whose outcome depends on the weekday and hour in an ISO timestamp, beside an order ID and a noisy amount: the
    /// model that reads the timestamp's parts is far better than the same model without it, and serves the raw text.
    /// </summary>
    internal static string OrdersCsv(int rows = 3000, int seed = 4)
    {
        var random = new Random(seed);
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var csv = new StringBuilder("order_id,placed_at,amount,returned\n");
        for (var i = 0; i < rows; i++)
        {
            var at = start.AddMinutes(random.Next(0, 365 * 24 * 60));
            var amount = random.NextDouble() * 100;
            var weekend = at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            var late = at.Hour >= 20;
            var p = 0.1 + (weekend ? 0.5 : 0) + (late ? 0.3 : 0) + amount / 1000;
            var placed = i % 50 == 7 ? "" : at.ToString(i % 2 == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            csv.Append(CultureInfo.InvariantCulture, $"ORD-{100000 + i},{placed},{amount:F2},{(random.NextDouble() < p ? "yes" : "no")}\n");
        }
        return csv.ToString();
    }

    [Fact]
    public void AModelLearnsFromATimestampsPartsAndServesItsText()
    {
        var csv = OrdersCsv();
        var spec = new PipelineSpec { Features = new FeatureSpec { Timestamps = ["placed_at"], Exclude = ["order_id"] } };
        var with = TrainingTests.Train(spec, Without(csv, "order_id"));
        var without = TrainingTests.Train(new PipelineSpec(), Without(Without(csv, "order_id"), "placed_at"));
        Assert.True(with.Evaluation.Metrics["accuracy"] >= without.Evaluation.Metrics["accuracy"] + 0.05,
            $"with date parts {with.Evaluation.Metrics["accuracy"]:F3}, without {without.Evaluation.Metrics["accuracy"]:F3}");

        Assert.Equal(["amount"], with.Card.Features);
        Assert.Equal(["placed_at"], with.Card.Timestamps);
        Assert.Equal(["amount", "placed_at"], with.Card.AllFeatures);
        // The hold-out keeps the timestamp's text (empty cells too); scored from it, the graph answers as ML.NET did.
        var holdout = CsvRows.Read(new MemoryStream(with.HoldoutCsv), with.Card, withTarget: false);
        Assert.Contains(holdout.Inputs.Timestamps, t => t.Contains('T'));
        Assert.Contains(holdout.Inputs.Timestamps, t => t.Length == 0);
        using var scorer = new OnnxScorer(with.Onnx, with.Card);
        var expected = Encoding.UTF8.GetString(with.PredictionsCsv).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]);
        Assert.Equal(expected, scorer.Score(holdout.Inputs).Select(p => p.Label));
        // A Saturday night order is likelier returned than a Tuesday morning one of the same amount.
        var saturday = scorer.Score(new ModelInputs(1, [50f], [], [], ["2025-03-15T22:10:00"]))[0].Probabilities[1];
        var tuesday = scorer.Score(new ModelInputs(1, [50f], [], [], ["2025-03-11 09:10"]))[0].Probabilities[1];
        Assert.True(saturday > tuesday + 0.3, $"Saturday night {saturday:F3}, Tuesday morning {tuesday:F3}");
        var bad = Assert.Throws<ArgumentException>(() => scorer.Score(new ModelInputs(1, [50f], [], [], ["next Tuesday"])));
        Assert.Contains("'placed_at'", bad.Message);
    }

    [Fact]
    public void ATimestampAloneIsEnoughToTrainOn()
    {
        var csv = Without(Without(OrdersCsv(), "order_id"), "amount");
        var model = TrainingTests.Train(new PipelineSpec { Features = new FeatureSpec { Timestamps = ["placed_at"] } }, csv);
        Assert.Empty(model.Card.Features);
        Assert.Equal(["placed_at"], model.Card.Timestamps);
        Assert.True(model.Evaluation.Metrics["accuracy"] > 0.7, $"{model.Evaluation.Metrics["accuracy"]}");
    }

    [Fact]
    public void AnUnreadableTimestampFailsTrainingWithTheRowAndColumn()
    {
        var csv = Without(OrdersCsv(200), "order_id").Replace("\n2024-", "\nsoon-", StringComparison.Ordinal);
        var e = Assert.Throws<TrainingException>(() => TrainingTests.Train(new PipelineSpec { Features = new FeatureSpec { Timestamps = ["placed_at"] } }, csv));
        Assert.Contains("timestamp 'placed_at'", e.Message);
    }

    internal static string Without(string csv, string column)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(lines[0].Split(','), column);
        return string.Join("\n", lines.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != at)))) + "\n";
    }
}
