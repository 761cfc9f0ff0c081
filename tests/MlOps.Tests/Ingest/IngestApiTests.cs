namespace MlOps.Tests;

/// <summary>Ingest in the running embedded app: specs and suites checked at submission (JSON and YAML), uploads (CSV, Parquet) and what is refused before a run starts.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class IngestApiTests
{
    [Fact]
    public async Task AnInvalidSuiteIsRefusedAtSubmissionNotWhenDataArrives()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """
            {"validation":{"expectations":[
              {"expectation":"expect_column_values_to_be_purple","column":"a"},
              {"expectation":"expect_column_values_to_be_between","column":"a"},
              {"expectation":"expect_column_values_to_be_between","column":"a","min":5,"max":1},
              {"expectation":"expect_column_values_to_match_regex","column":"a","regex":"(unclosed"},
              {"expectation":"expect_column_values_to_be_in_set","values":["x"]},
              {"expectation":"expect_column_mean_to_be_between","column":"a","min":0,"mostly":0.5},
              {"expectation":"expect_column_values_to_not_be_null","column":"a","mostly":1.5}]}}
            """;
        var response = await mlops.Client.PutAsync("/pipelines/bad-suite", new StringContent(spec, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        foreach (var reason in new[] { "Unknown expectation 'expect_column_values_to_be_purple'", "needs 'min', 'max' or both", "min 5 is greater than max 1",
            "does not compile", "needs 'column'", "'mostly' does not apply", "'mostly' must be in (0, 1]" })
            Assert.Contains(reason, body);
        Assert.Equal(HttpStatusCode.BadRequest, (await mlops.Client.PutAsync("/pipelines/bad-suite",
            new StringContent("""{"validation":{"expectations":[{"expectation":"expect_column_values_to_be_of_type","column":"a","type":"colour"}]}}""", Encoding.UTF8, "application/json"))).StatusCode);
        var stored = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/bad-suite"); // still the defaults: nothing was saved
        Assert.Equal(0, stored.GetProperty("validation").GetProperty("expectations").GetArrayLength());
    }

    [Fact]
    public async Task ARejectedUploadLeavesAReportUnderItsRunAndNoModelVersion()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
        lines[5] = "1.0,2.0"; // a ragged row
        lines[9] = lines[9].Replace(lines[9].Split(',')[2], "not-a-number");
        var path = Path.Combine(mlops.DataPath, "bad.csv");
        File.WriteAllLines(path, lines);

        var runId = await PipelineCalls.UploadAsync(mlops.Client, "bad-data", path);
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, runId, RunTimeout);

        Assert.Equal("rejected", run.GetProperty("run").GetProperty("status").GetString());
        var error = run.GetProperty("run").GetProperty("error").GetString()!;
        Assert.Contains("do not have 11 fields", error);
        Assert.Contains("feature_2", error);
        var artifacts = run.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains(ArtifactKeys.Validation(runId), artifacts);
        Assert.Contains(ArtifactKeys.ValidationHtml(runId), artifacts);
        Assert.DoesNotContain(ArtifactKeys.Model(runId), artifacts);

        var report = await mlops.Client.GetFromJsonAsync<JsonElement>($"/validation/{runId:N}");
        Assert.False(report.GetProperty("success").GetBoolean());
        var page = await mlops.Client.GetStringAsync($"/validation/{runId:N}/html");
        Assert.Contains("REJECTED", page);
        Assert.Contains("line 6", page);

        var versions = await mlops.Client.GetFromJsonAsync<JsonElement>("/models/bad-data/versions");
        Assert.Equal(0, versions.GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/bad-data")).StatusCode);
    }

    [Theory]
    [InlineData("", 400, "empty")]
    [InlineData("\0\u0001\u0002binary", 415, "binary")]
    [InlineData("1.0,2.0,0\n3.0,4.0,1\n", 422, "looks like data")]
    [InlineData("a,b,c\n1,2,3\n", 422, "Target column missing")]
    public async Task UploadsWrongAtAGlanceGetProblemDetailsAndStartNoRun(string body, int status, string says)
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        if (status == 422 && says == "Target column missing")
        {
            var spec = new StringContent("""{"target":"label"}""", Encoding.UTF8, "application/json");
            Assert.True((await mlops.Client.PutAsync("/pipelines/glance", spec)).IsSuccessStatusCode);
        }
        var response = await mlops.Client.PostAsync("/pipelines/glance/datasets", new StringContent(body, Encoding.UTF8, "text/csv"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    /// <summary>
    /// A Parquet upload is converted to CSV at the door and trains the same model as the CSV it was written from (two row
    /// groups here); the Parquet bytes are kept under the run and named by the manifest and the lineage.
    /// </summary>
    [Fact]
    public async Task AParquetUploadTrainsTheSameModelAsItsCsvAndKeepsItsBytes()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"cache":{"enabled":false}}""";
        Assert.True((await mlops.Client.PutAsync("/pipelines/parquet", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
        var header = lines[0].Split(',');
        var cells = lines[1..].Select(l => l.Split(',')).ToArray();
        var fields = header[..^1].Select(h => new Parquet.Schema.DataField<double>(h)).ToArray();
        var target = new Parquet.Schema.DataField<int>(header[^1]);
        var parquet = new MemoryStream();
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema([.. fields, target]), parquet))
        {
            foreach (var part in cells.Chunk(500))
            {
                using var group = writer.CreateRowGroup();
                for (var c = 0; c < fields.Length; c++)
                    await group.WriteAsync<double>(fields[c], part.Select(r => double.Parse(r[c], CultureInfo.InvariantCulture)).ToArray());
                await group.WriteAsync<int>(target, part.Select(r => int.Parse(r[^1], CultureInfo.InvariantCulture)).ToArray());
            }
        }
        var bytes = parquet.ToArray();

        var fromCsv = await PipelineCalls.UploadAsync(mlops.Client, "parquet", TestInfra.Sample("classification.csv"));
        var csvRun = await PipelineCalls.WaitForRunAsync(mlops.Client, fromCsv, RunTimeout);
        var response = await mlops.Client.PostAsync("/pipelines/parquet/datasets", new ByteArrayContent(bytes) { Headers = { ContentType = new("application/vnd.apache.parquet") } });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var fromParquet = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetGuid();
        var parquetRun = await PipelineCalls.WaitForRunAsync(mlops.Client, fromParquet, RunTimeout);
        Assert.Equal("deployed", parquetRun.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(1000, parquetRun.GetProperty("run").GetProperty("datasetRows").GetInt64());
        Assert.Equal(csvRun.GetProperty("version").GetProperty("modelSha256").GetString(), parquetRun.GetProperty("version").GetProperty("modelSha256").GetString());

        var store = mlops.Service<IArtifactStore>();
        var manifest = await store.GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(fromParquet), default);
        Assert.Equal("parquet", manifest.Source!.Format);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), manifest.Source.Sha256);
        await using (var kept = await store.OpenReadAsync(manifest.Source.Key, default))
        {
            var copy = new MemoryStream();
            await kept.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        var lineage = await mlops.Client.GetFromJsonAsync<JsonElement>($"/lineage/runs/{fromParquet:N}");
        Assert.Equal(manifest.Source.Sha256, lineage.GetProperty("dataset").GetProperty("source").GetProperty("sha256").GetString());
        Assert.Equal(manifest.DatasetSha256, lineage.GetProperty("dataset").GetProperty("sha256").GetString()); // the CSV the stages read
    }

    public sealed class Tagged { public double X { get; set; } public List<int> Tags { get; set; } = []; public int Label { get; set; } }
    public sealed class Blobbed { public double X { get; set; } public byte[] Blob { get; set; } = []; public int Label { get; set; } }

    [Fact]
    public async Task ParquetFilesMlOpsCannotReadAreRefusedByNameAndStartNoRun()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Ingest:MaxUploadBytes"] = "20000", ["Ingest:MaxParquetRowGroupCells"] = "1000" });
        async Task<byte[]> Write<T>(IEnumerable<T> rows)
        {
            var stream = new MemoryStream();
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, stream);
            return stream.ToArray();
        }
        var cases = new (byte[] Body, string Says)[]
        {
            ([.. "PAR1"u8, .. new byte[100], .. "PAR1"u8], "Unreadable Parquet file"),
            (await Write(Enumerable.Range(0, 50).Select(i => new Tagged { X = i, Tags = [i, i + 1], Label = i % 2 })), "'Tags'"),
            (await Write(Enumerable.Range(0, 50).Select(i => new Blobbed { X = i, Blob = [1, 2], Label = i % 2 })), "'Blob'"),
            // A small file (one repeated value compresses to little) whose CSV would pass the upload limit.
            (await Write(Enumerable.Range(0, 1000).Select(i => new { Text = new string('x', 100) })), "passed the upload limit"),
            // A row group of more cells than are converted at once (600 rows × 2 columns).
            (await Write(Enumerable.Range(0, 600).Select(i => new { X = (double)i, Label = i % 2 })), "row group too large"),
        };
        foreach (var (body, says) in cases)
        {
            Assert.True(body.Length < 20000);
            var response = await mlops.Client.PostAsync("/pipelines/parquet-bad/datasets", new ByteArrayContent(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((says.StartsWith("passed") ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.UnprocessableEntity) == response.StatusCode, text);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, text);
        }
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    /// <summary>
    /// An upload that declares a length past Ingest:MaxUploadBytes is refused before its body is read. (A body streamed without
    /// a length is cut off at the limit too, but the server closes the connection on a client still sending, so the client may
    /// see a reset rather than the 413: not a stable thing to assert.)
    /// </summary>
    [Fact]
    public async Task AnUploadPastTheLimitGets413AndStartsNoRun()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Ingest:MaxUploadBytes"] = "20000" });
        var bytes = await File.ReadAllBytesAsync(TestInfra.Sample("classification.csv"));
        Assert.True(bytes.Length > 20000);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/pipelines/too-big/datasets") { Content = new ByteArrayContent(bytes) };
        request.Headers.ExpectContinue = true; // the client waits for the server's answer before it sends the body
        var response = await mlops.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Ingest:MaxUploadBytes", await response.Content.ReadAsStringAsync());
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("UPPER")]
    [InlineData("a_b")]
    public async Task HostilePipelineNamesAreRefused(string name)
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var response = await mlops.Client.PostAsync($"/pipelines/{Uri.EscapeDataString(name)}/datasets", new StringContent("a,b\n1,2\n"));
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{response.StatusCode}");
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    [Fact]
    public async Task ASpecAndItsSuiteCanBeWrittenInYaml()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string yaml = """
            # the suite next to the trainer, as a team would keep it in git
            target: target
            trainer:
              name: FastTree
              seed: 7
              hyperparameters: {numberOfTrees: 20, learningRate: 0.2}
            validation:
              minRows: 100
              columnTypes: {feature_0: number}
              expectations:
                - expectation: expect_column_values_to_be_between
                  column: feature_0
                  min: -100
                  max: 100
                  mostly: 0.99
                - expectation: expect_column_values_to_match_regex
                  column: target
                  regex: "^[01]$"
            """;
        static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");
        var put = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml(yaml));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var spec = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/yaml-spec");
        Assert.Equal("FastTree", spec.GetProperty("trainer").GetProperty("name").GetString());
        Assert.Equal(0.2, spec.GetProperty("trainer").GetProperty("hyperparameters").GetProperty("learningRate").GetDouble());
        var suite = spec.GetProperty("validation").GetProperty("expectations");
        Assert.Equal(2, suite.GetArrayLength());
        Assert.Equal(0.99, suite[0].GetProperty("mostly").GetDouble());
        Assert.Equal("^[01]$", suite[1].GetProperty("regex").GetString());

        // The same checks as JSON: an unknown expectation is named; broken YAML says where; aliases and oversized specs are refused.
        var invalid = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("validation:\n  expectations:\n    - expectation: expect_vibes\n"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("expect_vibes", await invalid.Content.ReadAsStringAsync());
        var broken = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("trainer:\n  name: [LightGbm\n"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("not valid YAML", await broken.Content.ReadAsStringAsync());
        // A misspelt key is refused with where it is, in YAML and in JSON, at any level; the spec stays as it was.
        var before = await mlops.Client.GetStringAsync("/pipelines/yaml-spec");
        foreach (var (content, path) in new[]
        {
            (Yaml("target: label\ntrainr:\n  name: FastTree\n"), "'$.trainr'"),
            (Yaml("target: label\ntrainer:\n  nmae: FastTree\n"), "'$.trainer.nmae'"),
            (new StringContent("""{"target":"label","gate":{"minimun":0.9}}""", Encoding.UTF8, "application/json"), "'$.gate.minimun'"),
        })
        {
            var typo = await mlops.Client.PutAsync("/pipelines/yaml-spec", content);
            var says = await typo.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
            Assert.Contains($"{path} is not part of a pipeline spec", says);
        }
        Assert.Equal(before, await mlops.Client.GetStringAsync("/pipelines/yaml-spec"));
        var bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
        var aliases = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml(bomb));
        Assert.Equal(HttpStatusCode.BadRequest, aliases.StatusCode);
        Assert.Contains("aliases", await aliases.Content.ReadAsStringAsync());
        // Nesting: 32 levels are read, 33 are refused as too deep, and so are
        // 10,000 levels of flow-style brackets (20 KB).
        static string Nested(int levels) => string.Concat(Enumerable.Range(0, levels).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 2 * levels) + "v: 1\n";
        var deepest = await (await mlops.Client.PutAsync("/pipelines/yaml-depth", Yaml(Nested(31)))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("nested deeper", deepest);
        foreach (var body in new[] { Nested(33), "target: " + new string('[', 10_000) + new string(']', 10_000) + "\n" })
        {
            var tooDeep = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml(body));
            Assert.Equal(HttpStatusCode.BadRequest, tooDeep.StatusCode);
            Assert.Contains("nested deeper than 32 levels", await tooDeep.Content.ReadAsStringAsync());
        }
        var huge = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("target: " + new string('x', 2 << 20)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        // The stored spec is still the good one.
        Assert.Equal("FastTree", (await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/yaml-spec")).GetProperty("trainer").GetProperty("name").GetString());

        // The walk-through's spec in YAML (samples/) is the same spec as its JSON.
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/from-yaml", Yaml(await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.yaml"))))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/from-json", new StringContent(
            await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.json")), Encoding.UTF8, "application/json"))).StatusCode);
        async Task<System.Text.Json.Nodes.JsonObject> Stored(string name)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(await mlops.Client.GetStringAsync($"/pipelines/{name}"))!.AsObject();
            node.Remove("name");
            return node;
        }
        var fromYaml = await Stored("from-yaml");
        var fromJson = await Stored("from-json");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(fromYaml, fromJson), $"{fromYaml}\n{fromJson}");
    }

    [Fact]
    public async Task AnInvalidSpecIsRefusedAtSubmissionWithEveryReason()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """{"trainer":{"name":"XGBoost","hyperparameters":{"numberOfTrees":-5}},"gate":{"metric":"vibes"}}""";
        var response = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(spec, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Unknown trainer 'XGBoost'", body);
        Assert.Contains("Hyperparameter 'numberOfTrees' must be a positive number, not -5", body);
        Assert.Contains("vibes", body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var policy = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"drift":{"threshold":0,"method":"vibes","features":{"x":{"threshold":-1}}},"triggers":{"schedule":"every day at noon","scheduleMode":"often"}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, policy.StatusCode);
        var policyBody = await policy.Content.ReadAsStringAsync();
        foreach (var reason in new[] { "can never (or always) be crossed", "drift.method 'vibes'", "drift.features['x']", "not a cron expression", "triggers.scheduleMode" })
            Assert.Contains(reason, policyBody);
        var derived = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"features":{"derived":[{"name":"r","op":"power","of":["a","b"]},{"name":"s","op":"sum","of":["a"]}]}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, derived.StatusCode);
        var derivedBody = await derived.Content.ReadAsStringAsync();
        Assert.Contains("op 'power' is not one of sum, difference, product, ratio", derivedBody);
        Assert.Contains("'of' names exactly two numeric columns", derivedBody);
        var trees = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"trainer":{"name":"FastForest","hyperparameters":{"rowFraction":1.5,"maxBins":1,"leaves":3}}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, trees.StatusCode);
        var treesBody = await trees.Content.ReadAsStringAsync();
        foreach (var reason in new[] { "rowFraction (the share of rows each tree learns from) must be in (0, 1]", "maxBins (histogram bins per feature) must be between 2 and 1024", "'leaves' is not a hyperparameter of FastForest" })
            Assert.Contains(reason, treesBody);
        foreach (var timeout in new[] { "\"00:00:00\"", "\"-00:05:00\"", "\"30.00:00:00\"" })
        {
            var late = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent("{\"trainer\":{\"timeout\":" + timeout + "}}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, late.StatusCode);
            Assert.Contains("give a positive duration up to 7 days", await late.Content.ReadAsStringAsync());
        }
        var unreadable = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent("""{"trainer":{"timeout":"ten minutes"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Contains("timeout", await unreadable.Content.ReadAsStringAsync());
        var malformed = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not valid JSON", (await malformed.Content.ReadAsStringAsync()), StringComparison.OrdinalIgnoreCase);
        // Every refusal left nothing behind: the pipeline still has the defaults, as one never written to does.
        Assert.Equal((await mlops.Client.GetStringAsync("/pipelines/never-written")).Replace("never-written", "bad-spec"), await mlops.Client.GetStringAsync("/pipelines/bad-spec"));
    }
}
