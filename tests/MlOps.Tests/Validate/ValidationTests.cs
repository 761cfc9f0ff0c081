using MlOps.Validate;

namespace MlOps.Tests;

/// <summary>
/// The validate stage's suite on real bytes: every bad input of issue 3 is rejected with a reason that names what and where.
/// Not run beside other tests, so the flat-memory test measures this scan's heap and nobody else's.
/// </summary>
[CollectionDefinition(nameof(ValidationTests), DisableParallelization = true)]
public class ValidationTestsCollection;

[Collection(nameof(ValidationTests))]
public class ValidationTests
{
    static PipelineSpec Spec(int minRows = 3, params ExpectationSpec[] expectations) =>
        new() { Validation = new ValidationSpec { MinRows = minRows, Expectations = [.. expectations] } };

    static ValidationReport Validate(string csv, PipelineSpec? spec = null, DatasetSchema? previous = null) =>
        Validate(Encoding.UTF8.GetBytes(csv), spec, previous);

    static ValidationReport Validate(byte[] csv, PipelineSpec? spec = null, DatasetSchema? previous = null)
    {
        spec ??= Spec();
        var scan = DatasetScan.Run(new MemoryStream(csv), spec);
        return new ExpectationSuite(spec, previous).Evaluate(Guid.NewGuid(), "p", scan, previous?.RunId);
    }

    static DatasetSchema SchemaOf(string csv, PipelineSpec? spec = null) =>
        DatasetSchema.From(Guid.NewGuid(), DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv)), spec ?? Spec()));

    static ExpectationResult Failed(ValidationReport report, string expectation, string? column = null) =>
        Assert.Single(report.Results, r => r.ExpectationType == expectation && !r.Success && (column is null || r.Column == column));

    static string Csv(int rows, Func<int, string> row, string header = "a,b,label") =>
        header + "\n" + string.Join("\n", Enumerable.Range(0, rows).Select(row)) + "\n";

    [Fact]
    public void AcceptsCleanDataAndCountsEveryExpectation()
    {
        var report = Validate("a,b,label\n1,2,x\n3,4,y\n5,6,x\n");
        Assert.True(report.Success, string.Join(" ", report.Reasons));
        Assert.Equal(3, report.Rows);
        Assert.Equal(report.Results.Count, report.Statistics.EvaluatedExpectations);
        Assert.Equal(100, report.Statistics.SuccessPercent);
        Assert.Equal([ColumnType.Integer, ColumnType.Integer, ColumnType.String], report.ColumnStatistics.Select(c => c.Type));
    }

    [Fact]
    public void RejectsAnEmptyFileForHavingNoHeader()
    {
        var report = Validate("");
        Assert.False(report.Success);
        Assert.Contains("empty", Failed(report, "expect_table_header_present").Message);
    }

    [Fact]
    public void RejectsAHeaderOnlyFileSayingItHasNoRows() =>
        Assert.Contains("no data rows", Failed(Validate("a,b,label\n"), "expect_table_row_count_to_be_at_least").Message);

    [Fact]
    public void RejectsAFileWithoutHeaderInsteadOfTrainingOnNumbersAsNames()
    {
        var report = Validate("1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        Assert.False(report.Success);
        Assert.Contains("no header", Failed(report, "expect_table_header_present").Message);
        Assert.Equal(3, report.Results.Count); // encoding, quotes, header: no noise about a target called "0"
    }

    [Fact]
    public void ReadsBomCrlfAndQuotedFieldsWithCommasAndNewlines()
    {
        var report = Validate("\uFEFFa,b,label\r\n1,2,\"x, with comma\"\r\n3,4,\"y\nwith newline\"\r\n5,6,x\r\n");
        Assert.True(report.Success, string.Join(" ", report.Reasons));
        Assert.Equal(["a", "b", "label"], report.Columns);
        Assert.Equal(3, report.Rows);
        Assert.Contains(report.ColumnStatistics.Single(c => c.Name == "label").Histogram, b => b.Value == "y\nwith newline");
    }

    [Fact]
    public void LinesEndingInABareCarriageReturnAreRowsWithTheirLineNumbers()
    {
        // Classic Mac OS line endings: a short file names the right line, and one past the 8 MB block limit is not taken for an unclosed quote.
        var small = Validate("a,b,label\r1,2,x\r3,4\r5,6,y\r");
        var ragged = Failed(small, "expect_table_rows_to_match_header_width");
        Assert.Contains(ragged.Result.PartialUnexpectedList, e => e.StartsWith("line 3"));
        Assert.Equal(3, small.Rows);
        var big = Validate(Csv(1_000_000, i => $"{i},{i % 13},{(i % 2 == 0 ? "x" : "y")}").Replace('\n', '\r'));
        Assert.True(big.Success, string.Join(" ", big.Reasons));
        Assert.Equal(1_000_000, big.Rows);
    }

    [Fact]
    public void RejectsRaggedRowsNamingTheLines()
    {
        var failed = Failed(Validate("a,b,label\n1,2,x\n3,4\n5,6,y,7\n8,9,y\n"), "expect_table_rows_to_match_header_width");
        Assert.Equal(2L, failed.Result.ObservedValue);
        Assert.Contains(failed.Result.PartialUnexpectedList, e => e.StartsWith("line 3"));
        Assert.Contains(failed.Result.PartialUnexpectedList, e => e.StartsWith("line 4"));
    }

    [Fact]
    public void RejectsDuplicateColumnNames() =>
        Assert.Contains("a", Failed(Validate("a,a,label\n1,2,x\n3,4,y\n5,6,x\n"), "expect_column_names_to_be_unique").Message);

    [Fact]
    public void RejectsBytesThatAreNotUtf8NamingTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b,label\n1,2,x\n3,4,y\n").Concat(new byte[] { 0x35, 0x2C, 0x36, 0x2C, 0xE9, 0x74, 0xE9, 0x0A }).ToArray(); // "5,6,été" in Latin-1
        var failed = Failed(Validate(bytes), "expect_file_to_be_utf8");
        Assert.Contains("line 4", failed.Message);
        Assert.Contains("UTF-8", failed.Message);
    }

    [Fact]
    public void RejectsNaNInfinityEmptyAndTextInNumericColumnsWithExamples()
    {
        // Declared numbers: a column the spec names is checked as declared (an undeclared one's role would be inferred).
        var declared = Spec() with { Validation = Spec().Validation with { ColumnTypes = new() { ["a"] = ColumnType.Number, ["b"] = ColumnType.Number } } };
        var report = Validate("a,b,label\n1,,x\n3,abc,y\nNaN,Infinity,x\n4,-inf,y\n", declared);
        Assert.False(report.Success);
        Assert.Equal("b", Failed(report, "expect_column_values_to_not_be_null").Column);
        var a = Failed(report, "expect_column_values_to_be_of_type", "a");
        var b = Failed(report, "expect_column_values_to_be_of_type", "b");
        Assert.Contains(a.Result.PartialUnexpectedList, e => e.Contains("'NaN'"));
        Assert.Contains(b.Result.PartialUnexpectedList, e => e.Contains("'abc'"));
        Assert.Contains(b.Result.PartialUnexpectedList, e => e.Contains("'Infinity'"));
        Assert.Contains(b.Result.PartialUnexpectedList, e => e.Contains("'-inf'"));
        Assert.Contains("columnTypes", b.Message); // says how to declare a categorical column
    }

    /// <summary>
    /// Issue 15: a column the spec does not name gets its role from its values (ColumnRoles), each with a reason: an ID, a
    /// number with gaps (accepted: imputed), a mostly-numeric column whose stray text is an error, yes/no, a few categories,
    /// many categories (hashed), a constant and a date; the report lists them all.
    /// </summary>
    [Fact]
    public void UndeclaredColumnsGetTheirRoleFromTheirValuesWithAReason()
    {
        var csv = Csv(200, i => string.Join(",", $"u{1000 + i}", i % 7, i % 20 == 0 ? "" : (i * 0.37).ToString("F2", CultureInfo.InvariantCulture),
            i is 5 or 50 or 150 ? "n/a" : (i * 1.5).ToString(CultureInfo.InvariantCulture), i % 3 == 0 ? "Yes" : "no", new[] { "red", "green", "blue" }[i % 3],
            $"tag{i % 60}", "k", $"2024-01-{1 + i % 28:00}", i % 2 == 0 ? "x" : "y"), "id,n,x,junk,flag,colour,tags,constant,day,label");
        var report = Validate(csv);
        var roles = report.Inferred!.ToDictionary(i => i.Name, i => i.Role);
        Assert.Equal(new Dictionary<string, string>
        {
            ["id"] = "identifier", ["n"] = "number", ["x"] = "number", ["junk"] = "number", ["flag"] = "boolean", ["colour"] = "categorical",
            ["tags"] = "hashed", ["constant"] = "constant", ["day"] = "timestamp",
        }, roles);
        Assert.Equal(10, report.Inferred!.Single(i => i.Name == "x").EmptyCells);
        Assert.Contains("empty cells are imputed", report.Inferred!.Single(i => i.Name == "x").Why);
        // Only the stray text is wrong: three 'n/a' in a column of numbers.
        Assert.Equal(["Column 'junk' has 3 values that are not finite numbers (declare it as \"string\" in validation.columnTypes if it is categorical)."], report.Reasons);
        Assert.Contains("What MlOps worked out", ReportPage.Render(report));

        // Inference off: every unnamed column is a number again, and says so.
        var strict = Spec() with { Inference = new InferenceSpec { Columns = false } };
        Assert.Contains(Validate(csv, strict).Reasons, r => r.StartsWith("Column 'colour' has 200 values that are not finite numbers"));
    }

    [Fact]
    public void AcceptsATextFeatureDeclaredAsString()
    {
        var spec = Spec() with { Validation = Spec().Validation with { ColumnTypes = new() { ["color"] = ColumnType.String } } };
        var report = Validate("a,color,label\n1,red,x\n2,blue,y\n3,red,x\n", spec);
        Assert.True(report.Success, string.Join(" ", report.Reasons));
        var profile = DatasetScan.Run(new MemoryStream("a,color,label\n1,red,x\n2,blue,y\n3,red,x\n"u8.ToArray()), spec).ToProfile(Guid.NewGuid());
        Assert.Equal(2, profile.Features.Single(f => f.Name == "color").Categories!["red"]);
    }

    [Fact]
    public void RejectsASingleClassTarget() =>
        Assert.Contains("1 distinct value", Failed(Validate("a,label\n1,x\n2,x\n3,x\n"), "expect_column_unique_value_count_to_be_at_least").Message);

    [Fact]
    public void RejectsAMissingTargetColumn() =>
        Assert.Contains("'label'", Failed(Validate("a,b\n1,2\n3,4\n5,6\n", Spec() with { Target = "label" }), "expect_column_to_exist").Message);

    public static TheoryData<string, ExpectationSpec, bool> SuiteCases() => new()
    {
        { "expect_table_row_count_to_be_between", new() { Min = 5, Max = 10 }, true },
        { "expect_table_row_count_to_be_between", new() { Max = 9 }, false },
        { "expect_column_to_exist", new() { Column = "a" }, true },
        { "expect_column_to_exist", new() { Column = "zzz" }, false },
        { "expect_table_columns_to_match_set", new() { Columns = ["label", "a", "b", "city"] }, true },
        { "expect_table_columns_to_match_set", new() { Columns = ["a", "b"] }, false },
        { "expect_table_columns_to_match_ordered_list", new() { Columns = ["a", "b", "city", "label"] }, true },
        { "expect_table_columns_to_match_ordered_list", new() { Columns = ["b", "a", "city", "label"] }, false },
        { "expect_column_values_to_not_be_null", new() { Column = "b" }, true },
        { "expect_column_values_to_be_between", new() { Column = "a", Min = 0, Max = 9 }, true },
        { "expect_column_values_to_be_between", new() { Column = "a", Min = 0, Max = 8 }, false },
        { "expect_column_values_to_be_between", new() { Column = "a", Min = 0, Max = 8, Mostly = 0.9 }, true },
        { "expect_column_values_to_be_in_set", new() { Column = "city", Values = ["oslo", "rome", "lima"] }, true },
        { "expect_column_values_to_be_in_set", new() { Column = "city", Values = ["oslo", "rome"] }, false },
        { "expect_column_values_to_be_unique", new() { Column = "a" }, true },
        { "expect_column_values_to_be_unique", new() { Column = "city" }, false },
        { "expect_column_values_to_match_regex", new() { Column = "city", Regex = "^[a-z]{4}$" }, true },
        { "expect_column_values_to_match_regex", new() { Column = "city", Regex = "^o" }, false },
        { "expect_column_values_to_be_of_type", new() { Column = "a", Type = ColumnType.Integer }, true },
        { "expect_column_values_to_be_of_type", new() { Column = "b", Type = ColumnType.Integer }, false },
        { "expect_column_min_to_be_between", new() { Column = "a", Min = 0, Max = 0 }, true },
        { "expect_column_min_to_be_between", new() { Column = "a", Min = 0.5 }, false },
        { "expect_column_min_to_be_between", new() { Column = "b", Max = -0.1 }, false },
        { "expect_column_max_to_be_between", new() { Column = "a", Min = 9, Max = 9 }, true },
        { "expect_column_max_to_be_between", new() { Column = "a", Min = 10 }, false },
        { "expect_column_max_to_be_between", new() { Column = "b", Max = 4.4 }, false },
        { "expect_column_mean_to_be_between", new() { Column = "a", Min = 4.5, Max = 4.5 }, true },
        { "expect_column_mean_to_be_between", new() { Column = "a", Min = 4.51 }, false },
        { "expect_column_mean_to_be_between", new() { Column = "b", Max = 2.2 }, false },
        { "expect_column_stdev_to_be_between", new() { Column = "a", Min = 3.02, Max = 3.03 }, true },
        { "expect_column_stdev_to_be_between", new() { Column = "a", Min = 3.03 }, false },
        { "expect_column_stdev_to_be_between", new() { Column = "a", Max = 3.02 }, false },
        { "expect_column_median_to_be_between", new() { Column = "b", Min = 2.25, Max = 2.25 }, true },
        { "expect_column_median_to_be_between", new() { Column = "a", Min = 4.5, Max = 4.5 }, true },
        { "expect_column_median_to_be_between", new() { Column = "a", Min = 5 }, false },
        { "expect_column_distinct_values_to_equal_set", new() { Column = "label", Values = ["x", "y", "z"] }, true },
        { "expect_column_distinct_values_to_equal_set", new() { Column = "label", Values = ["x", "y"] }, false },
        { "expect_column_unique_value_count_to_be_between", new() { Column = "label", Min = 3, Max = 3 }, true },
        { "expect_column_unique_value_count_to_be_between", new() { Column = "label", Min = 2, Max = 2 }, false },
    };

    [Theory]
    [MemberData(nameof(SuiteCases))]
    public void EvaluatesEachGreatExpectationsExpectation(string name, ExpectationSpec expectation, bool passes)
    {
        // a = 0..9, b = a/2 (half not whole), city cycles three names, label cycles three classes.
        string[] cities = ["oslo", "rome", "lima"];
        var csv = Csv(10, i => $"{i},{i / 2.0},{cities[i % 3]},{"xyz"[i % 3]}", "a,b,city,label");
        var report = Validate(csv, Spec(3, expectation with { Expectation = name }) with
        {
            Validation = new ValidationSpec { MinRows = 3, ColumnTypes = new() { ["city"] = ColumnType.String }, Expectations = [expectation with { Expectation = name }] },
        });
        var result = report.Results.Single(r => r.ExpectationType == name && (expectation.Column is null ? r.Kwargs.Count > 0 : r.Kwargs.ContainsKey("column") && r.Column == expectation.Column));
        Assert.True(passes == result.Success, $"{name}: {result.Message} observed {result.Result.ObservedValue}");
        Assert.Equal(passes, report.Success);
        if (!passes) Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(0.8, true)]
    [InlineData(0.95, false)]
    public void NotNullCountsEmptyCellsAgainstMostly(double mostly, bool passes)
    {
        // Two of twenty cells of 'b' are empty: 90% are not null.
        var csv = Csv(20, i => $"{i},{(i % 10 == 3 ? "" : (i / 2.0).ToString(CultureInfo.InvariantCulture))},{"xyz"[i % 3]}", "a,b,label");
        var expectation = new ExpectationSpec { Expectation = "expect_column_values_to_not_be_null", Column = "b", Mostly = mostly };
        var report = Validate(csv, Spec(3, expectation) with
        {
            Validation = new ValidationSpec { MinRows = 3, Expectations = [expectation] },
            Features = new FeatureSpec { Impute = new() { ["b"] = "mean" } },
        });
        var result = report.Results.Single(r => r.ExpectationType == "expect_column_values_to_not_be_null" && r.Column == "b");
        Assert.True(passes == result.Success, $"{result.Message} observed {result.Result.ObservedValue}");
        Assert.Equal(2, result.Result.UnexpectedCount);
        if (!passes) Assert.Contains("line 5", string.Join(" ", result.Result.PartialUnexpectedList));
    }

    [Fact]
    public void ASuiteNamingAMissingColumnFailsAndSaysWhichColumn()
    {
        var report = Validate("a,b,label\n1,2,x\n3,4,y\n5,6,x\n", Spec(3, new ExpectationSpec { Expectation = "expect_column_values_to_be_between", Column = "age", Min = 0 }));
        Assert.Contains("'age'", Failed(report, "expect_column_values_to_be_between").Message);
    }

    [Fact]
    public void AWarningExpectationIsReportedButDoesNotReject()
    {
        var report = Validate("a,b,label\n1,2,x\n3,4,y\n5,6,x\n",
            Spec(3, new ExpectationSpec { Expectation = "expect_column_max_to_be_between", Column = "a", Max = 2, Severity = Severity.Warning }));
        Assert.True(report.Success);
        Assert.Single(report.Warnings);
        Assert.Equal(1, report.Statistics.UnsuccessfulExpectations);
    }

    [Fact]
    public void AFileBreakingThreeExpectationsNamesAllThreeWithExamples()
    {
        var csv = Csv(20, i => i == 7 ? "-5,abc,y" : i == 12 ? "3,4,maybe" : $"{i},{i},{(i % 2 == 0 ? "x" : "y")}");
        var report = Validate(csv, Spec(3,
            new ExpectationSpec { Expectation = "expect_column_values_to_be_between", Column = "a", Min = 0 },
            new ExpectationSpec { Expectation = "expect_column_values_to_be_in_set", Column = "label", Values = ["x", "y"] }));
        Assert.False(report.Success);
        Assert.Equal(3, report.Reasons.Count);
        Assert.Contains("line 9: '-5'", Failed(report, "expect_column_values_to_be_between").Result.PartialUnexpectedList);
        Assert.Contains("line 14: 'maybe'", Failed(report, "expect_column_values_to_be_in_set").Result.PartialUnexpectedList);
        Assert.Contains("line 9: 'abc'", Failed(report, "expect_column_values_to_be_of_type", "b").Result.PartialUnexpectedList);
    }

    [Fact]
    public void AHostileRegexCannotStallThePass()
    {
        var spec = Spec(3, new ExpectationSpec { Expectation = "expect_column_values_to_match_regex", Column = "label", Regex = "^(a+)+$" });
        var evil = new string('a', 5000) + "!";
        var report = Validate(Csv(3, i => $"{i},{i},{evil}"), spec with { Target = "a" });
        Assert.Equal(3L, Failed(report, "expect_column_values_to_match_regex").Result.UnexpectedCount);
        Assert.All(Failed(report, "expect_column_values_to_match_regex").Result.PartialUnexpectedList, e => Assert.True(e.Length < 80));
    }

    [Fact]
    public void ComparesWithTheLastAcceptedSchemaLikeTfdv()
    {
        var spec = Spec() with { Target = "label", Validation = new ValidationSpec { MinRows = 3, ColumnTypes = new() { ["color"] = ColumnType.String } } };
        var first = SchemaOf(Csv(30, i => $"{i},{(i % 2 == 0 ? "red" : "blue")},{"xyz"[i % 3]}", "a,color,label"), spec);
        Assert.Equal(["blue", "red"], first["color"]!.Categories);

        var same = Validate(Csv(30, i => $"{i + 1},{(i % 2 == 0 ? "blue" : "red")},{"xyz"[i % 3]}", "a,color,label"), spec, first);
        Assert.True(same.Success);
        Assert.All(same.Results.Where(r => r.ExpectationType.StartsWith("schema_")), r => Assert.True(r.Success, r.Message));

        // New column (warning), unseen category (warning), vanished class z (error), null rate of a (warning).
        var changed = Validate(Csv(30, i => $"{(i < 10 ? "" : i.ToString())},{(i == 3 ? "green" : "red")},{"xy"[i % 2]},1", "a,color,label,extra"),
            spec with { Validation = spec.Validation with { ColumnTypes = new() { ["color"] = ColumnType.String, ["a"] = ColumnType.String } } }, first);
        Assert.False(changed.Success);
        Assert.Contains("'z'", "'" + Failed(changed, "schema_target_class_missing").Result.PartialUnexpectedList.Single() + "'");
        Assert.Equal(Severity.Warning, Failed(changed, "schema_new_column").Severity);
        Assert.Contains("green", Failed(changed, "schema_unseen_category").Message);
        Assert.Contains("a:", Failed(changed, "schema_null_rate_shift").Message);

        var missing = Validate(Csv(30, i => $"{i},{"xyz"[i % 3]}", "a,label"), spec, first);
        Assert.Contains("color", Failed(missing, "schema_missing_column").Message);
        var retyped = Validate(Csv(30, i => $"{i},{i},{"xyz"[i % 3]}", "a,color,label"), spec with { Validation = spec.Validation with { ColumnTypes = [] } }, first);
        Assert.Contains("color: string → integer", Failed(retyped, "schema_type_changed").Message);
    }

    [Fact]
    public void TheReportUsesGreatExpectationsFieldNamesAndThePageDrawsHistograms()
    {
        var report = Validate(Csv(50, i => $"{i},{i * i},{"xy"[i % 2]}"));
        var json = JsonSerializer.Serialize(report, ArtifactStoreJson.Options);
        using var doc = JsonDocument.Parse(json);
        Assert.True(doc.RootElement.GetProperty("success").GetBoolean());
        Assert.Equal(report.Results.Count, doc.RootElement.GetProperty("statistics").GetProperty("evaluatedExpectations").GetInt32());
        var first = doc.RootElement.GetProperty("results")[0];
        Assert.True(first.TryGetProperty("expectationType", out _));
        Assert.True(first.GetProperty("result").TryGetProperty("partialUnexpectedList", out _));

        var page = ReportPage.Render(report);
        Assert.Contains("PASSED", page);
        Assert.Equal(3, page.Split("<svg").Length - 1); // one histogram per column
        Assert.Contains("<title>Histogram of a</title>", page);
    }

    [Fact]
    public void TheReportPageEscapesHostileText()
    {
        var page = ReportPage.Render(Validate("a,<script>alert(1)</script>,label\n1,2,x\n"));
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("&lt;script&gt;", page);
    }

    [Fact]
    public void AFileOfManyBlocksMergesToExactStatisticsAndFindsRepeatsAcrossBlocks()
    {
        // About 4 MB: several 1 MB blocks scanned in parallel. Row 5 and the last row share an id.
        const int rows = 150_000;
        var random = new Random(7);
        var values = Enumerable.Range(0, rows).Select(_ => Math.Round(1e6 + random.NextDouble() * 10, 4)).ToArray();
        var csv = Csv(rows, i => $"{(i == rows - 1 ? 5 : i)},{values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)},{"xy"[i % 2]}", "id,b,label");
        var spec = Spec(3, new ExpectationSpec { Expectation = "expect_column_values_to_be_unique", Column = "id" },
            new ExpectationSpec { Expectation = "expect_column_values_to_be_between", Column = "b", Max = 1e6 + 5 });
        var scan = DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv)), spec);
        Assert.Equal(rows, scan.Rows);
        var b = scan.ByColumn["b"];
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (rows - 1));
        Assert.Equal(mean, b.Mean, 1e-6);
        Assert.Equal(std, b.StdDev, 1e-9 * std + 1e-9);
        Assert.Equal(spec.Drift.ReferenceSampleSize, b.Sample().Length);
        Assert.Equal(b.Sample(), DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv)), spec).ByColumn["b"].Sample()); // same sample every time

        var report = new ExpectationSuite(spec).Evaluate(Guid.NewGuid(), "p", scan);
        var unique = Failed(report, "expect_column_values_to_be_unique");
        Assert.Equal(1L, unique.Result.UnexpectedCount);
        Assert.Contains($"line {rows + 1}", unique.Result.PartialUnexpectedList.Single());
        var between = Failed(report, "expect_column_values_to_be_between").Result;
        var firstLines = values.Select((v, i) => (v, line: i + 2)).Where(x => x.v > 1e6 + 5).Take(5).Select(x => $"line {x.line}:").ToList();
        Assert.Equal(firstLines, between.PartialUnexpectedList.Select(e => e[..(e.IndexOf(':') + 1)])); // the first examples, in file order
        Assert.Equal(values.Count(v => v > 1e6 + 5), between.UnexpectedCount);
    }

    [Fact]
    public void AQuoteThatNeverClosesIsReportedNotBufferedForever()
    {
        // 20 MB with one stray quote near the top: no row boundary outside quotes for more than the 8 MB block limit.
        using var data = new MemoryStream();
        data.Write("a,b,label\n1,\"2,x\n"u8);
        var filler = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("3,4,y\n", 100_000)));
        while (data.Length < 20L << 20) data.Write(filler);
        data.Position = 0;
        var scan = DatasetScan.Run(data, Spec());
        var report = new ExpectationSuite(Spec()).Evaluate(Guid.NewGuid(), "p", scan);
        Assert.Contains("never closes", Failed(report, "expect_file_quotes_to_be_closed").Message);
        Assert.False(report.Success);
    }

    [Fact]
    public void StreamsAGigabyteInFlatMemory()
    {
        const long size = 1L << 30;
        var spec = Spec(3, new ExpectationSpec { Expectation = "expect_column_values_to_be_between", Column = "f0", Min = -10, Max = 10 });
        // Measured while the scan runs (its progress callback, about every 100,000 rows): the live managed heap's growth, and the
        // process's resident memory above what it held before. Other tests share the process, so the RSS bound is generous;
        // BENCHMARKS.md measures the service's own RSS on its own.
        long peakHeap = 0, peakRssGrowth = 0, lastRows = 0;
        var calls = 0;
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true); // what other tests in this process left live
        var rssBefore = self.WorkingSet64;
        var scan = DatasetScan.Run(new GeneratedCsv(size), spec, rows =>
        {
            calls++;
            Assert.True(rows > lastRows, "progress goes forward");
            lastRows = rows;
            GC.Collect();
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            self.Refresh();
            peakRssGrowth = Math.Max(peakRssGrowth, self.WorkingSet64 - rssBefore);
        });
        Assert.True(scan.Bytes >= size);
        Assert.True(scan.Rows > 5_000_000, $"{scan.Rows} rows");
        Assert.True(calls >= scan.Rows / 100_000 - 1, $"{calls} progress reports for {scan.Rows} rows"); // measured all the way through
        var report = new ExpectationSuite(spec).Evaluate(Guid.NewGuid(), "p", scan);
        Assert.True(report.Success, string.Join(" ", report.Reasons));
        // Memory stays bounded by columns and samples, not by the 1 GB that went through.
        Assert.True(peakHeap - heapBefore < 256L << 20, $"live heap grew by {(peakHeap - heapBefore) >> 20} MB (from {heapBefore >> 20} MB)");
        Assert.True(peakRssGrowth < 512L << 20, $"resident memory grew by {peakRssGrowth >> 20} MB");
    }

    /// <summary>A CSV of random features that is produced as it is read, so a gigabyte needs neither disk nor memory.</summary>
    sealed class GeneratedCsv(long size) : Stream
    {
        readonly Random _random = new(1);
        byte[] _pending = "f0,f1,f2,f3,f4,f5,f6,f7,label\n"u8.ToArray();
        int _offset;
        long _produced;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_offset == _pending.Length)
            {
                if (_produced >= size) return 0;
                var rows = new StringBuilder();
                for (var r = 0; r < 1000; r++)
                {
                    for (var f = 0; f < 8; f++) rows.Append((_random.NextDouble() * 2 - 1).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(',');
                    rows.Append(_random.Next(2)).Append('\n');
                }
                _pending = Encoding.UTF8.GetBytes(rows.ToString());
                _offset = 0;
            }
            var n = Math.Min(count, _pending.Length - _offset);
            Array.Copy(_pending, _offset, buffer, offset, n);
            _offset += n;
            _produced += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _produced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void TheFastDecimalPathReadsEveryNumberExactlyAsACorrectParserDoes()
    {
        var random = new Random(5);
        var cases = new List<string> { "0", "-0", "+7", "42", "-1.234567", "0.1", "0.30000000000000004", "123456789012345", "1234567890123456",
            "9007199254740993", "1.5e3", "-2E-5", ".5", "1.", "NaN", "-Infinity", "inf", "1e308", "1e-320", "999999999999999.9", "00012.50", "-", "1.2.3", "1,5", "0x1A" };
        for (var i = 0; i < 20_000; i++)
        {
            var digits = random.Next(0, 18);
            var value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 12));
            cases.Add(value.ToString("F" + Math.Min(digits, 15), System.Globalization.CultureInfo.InvariantCulture));
            cases.Add(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var text in cases)
        {
            var expected = double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : (double?)null;
            var got = MlOps.Validate.DecimalParser.TryParse(text, out var x) ? x : (double?)null;
            if (text is "inf" or "-Infinity" or "0x1A") continue; // spellings .NET and csFastFloat read differently; both paths send them to csFastFloat
            Assert.True(expected.HasValue == got.HasValue, $"'{text}': parsed {got.HasValue}, .NET {expected.HasValue}");
            if (expected is { } e) Assert.True(BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(x), $"'{text}': {x:R} against {e:R}");
        }
    }

    /// <summary>
    /// The start-up warm-up (ValidationWarmUp) runs the whole validation path: every expectation of the catalog on a file
    /// that has every kind of column, failing as well as passing, and renders the report; the running app says when it is done.
    /// </summary>
    [Fact]
    public async Task TheWarmUpRunsEveryExpectationAndTheAppSaysWhenItIsDone()
    {
        var elapsed = MlOps.Validate.ValidationWarmUp.Run();
        Assert.True(elapsed > TimeSpan.Zero);
        await using var mlops = await EmbeddedApp.StartAsync();
        JsonElement check = default;
        await Eventually(async () => (check = (await mlops.Client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("checks").GetProperty("validation-warm-up"))
            .GetProperty("status").GetString() == "Healthy");
        Assert.Contains("validation path compiled at start in", check.GetProperty("description").GetString());
    }
}
