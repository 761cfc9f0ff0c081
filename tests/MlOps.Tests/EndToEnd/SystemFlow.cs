namespace MlOps.Tests;

/// <summary>
/// The issue's end-to-end flow, shared by the embedded and distributed tests so both modes are held to the same bar:
/// upload → approved and deployed → infer answers with the version and run → a drifted batch → DriftDetected →
/// a drift-triggered run that ends deployed, with every artifact under runs/{runId}/.
/// </summary>
public static class SystemFlow
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The run's time split into its stages' own work and the orchestration's: each of the four stages timed by the stage
    /// that did it, training (as the trainer measured it) inside the train stage's time, and the parts adding up to the
    /// whole from arrival to deployed.
    /// </summary>
    static void AssertOrchestration(JsonElement run, double trainingSeconds)
    {
        var o = run.GetProperty("orchestration");
        var stages = o.GetProperty("stages").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["DataValidated", "ModelApproved", "ModelDeployed", "ModelTrained"], stages.Keys.Order().ToArray());
        Assert.All(stages.Values, s => Assert.True(s > 0, string.Join(", ", stages)));
        Assert.True(stages["ModelTrained"] >= trainingSeconds - 0.001, $"train stage {stages["ModelTrained"]} s < training {trainingSeconds} s");
        var total = o.GetProperty("arrivedToDeployedSeconds").GetDouble();
        Assert.Equal(stages.Values.Sum(), o.GetProperty("stagesSeconds").GetDouble(), 0.00001);
        Assert.Equal(total - o.GetProperty("stagesSeconds").GetDouble(), o.GetProperty("overheadSeconds").GetDouble(), 0.00001);
        Assert.InRange(o.GetProperty("overheadSeconds").GetDouble(), 0, total);
        Assert.Equal(stages["ModelTrained"], run.GetProperty("stages").EnumerateArray()
            .Single(s => s.GetProperty("event").GetString() == "ModelTrained").GetProperty("stageSeconds").GetDouble());
    }

    /// <summary>
    /// The run's store calls, counted by each stage and summed by the registry: at most 40 from upload to deployed (123
    /// before the store discipline), every stage's share present, and no stage reading what travels with its event or what it
    /// just wrote: the reads each stage needs for a first model (no champion) are named here, one GET each.
    /// </summary>
    static void AssertStoreCalls(JsonElement run)
    {
        var calls = run.GetProperty("storeCalls");
        var total = calls.GetProperty("total").GetInt64();
        Assert.InRange(total, 20, 40);
        var byEvent = calls.GetProperty("byEvent").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(total, byEvent.Values.Sum());
        var gets = run.GetProperty("events").EnumerateArray()
            .Where(e => e.TryGetProperty("storeCalls", out var c) && c.ValueKind == JsonValueKind.Object)
            .ToDictionary(e => e.GetProperty("kind").GetString()!, e => e.GetProperty("storeCalls").TryGetProperty("get", out var g) ? g.GetInt64() : 0);
        var needed = new Dictionary<string, long>
        {
            ["DataArrived"] = 1,   // the pipeline's spec (the upload's own bytes are written, not read)
            ["DataValidated"] = 2, // the last accepted schema, the dataset
            ["ModelTrained"] = 2,  // the training cache's entry, the dataset
            ["ModelApproved"] = 1, // the hold-out rows (the card, with the candidate's metrics, came with ModelTrained)
            ["ModelDeployed"] = 3, // the ONNX file, the hold-out rows and training's answers for them (the staging check)
        };
        Assert.Equal(needed.Keys.Order(), gets.Keys.Order());
        foreach (var (kind, most) in needed)
            Assert.True(gets[kind] <= most, $"{kind}'s stage read the store {gets[kind]} times, more than the {most} it needs: {calls}");
    }

    public static async Task RunAsync(HttpClient ingest, HttpClient registry, HttpClient deploy, IArtifactStore store, string pipeline)
    {
        await PipelineCalls.PutWalkthroughSpecAsync(ingest, pipeline);
        var firstRun = await PipelineCalls.UploadAsync(ingest, pipeline, TestInfra.Sample("classification.csv"));
        var first = await PipelineCalls.WaitForRunAsync(registry, firstRun, RunTimeout);
        Assert.Equal("deployed", first.GetProperty("run").GetProperty("status").GetString());
        var version = first.GetProperty("version");
        Assert.True(version.GetProperty("approved").GetBoolean());
        Assert.True(version.GetProperty("metrics").GetProperty("accuracy").GetDouble() >= 0.8);
        AssertOrchestration(first, version.GetProperty("metrics").GetProperty("trainingSeconds").GetDouble());
        AssertStoreCalls(first);

        foreach (var artifact in new[] { "dataset.csv", "spec.json", "manifest.json", "validation.json", "validation.html", "profile.json", "model.zip", "model.onnx", "model.json", "metrics.json" })
            Assert.True(await store.ExistsAsync(ArtifactKeys.Run(firstRun) + artifact, default), $"runs/{firstRun:N}/{artifact} is missing");
        await using (var stored = await store.OpenReadAsync(ArtifactKeys.Dataset(firstRun), default))
        {
            var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stored));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(TestInfra.Sample("classification.csv")))), hash);
            Assert.Equal(hash, first.GetProperty("run").GetProperty("datasetSha256").GetString());
        }

        // Infer: the protocol's shapes, the version and run named, an answer for every row.
        var answers = await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification.csv"));
        static List<string?> Labels(List<JsonElement> answers) =>
            answers.SelectMany(a => a.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString())).ToList();
        Assert.Equal(1000, Labels(answers).Count);
        // Served answers are as good as the hold-out said: the run's own held-out rows (never trained on), scored through
        // infer, against their true targets.
        var holdoutPath = Path.Combine(Path.GetTempPath(), $"holdout-{firstRun:N}.csv");
        await using (var holdout = await store.OpenReadAsync(ArtifactKeys.Holdout(firstRun), default))
        await using (var file = File.Create(holdoutPath))
            await holdout.CopyToAsync(file);
        var heldOut = File.ReadAllLines(holdoutPath).Skip(1).Select(l => l.Split(',')[^1]).ToList();
        Assert.Equal(200, heldOut.Count);
        var servedHoldout = Labels(await PipelineCalls.InferCsvAsync(deploy, pipeline, holdoutPath));
        Assert.Equal(version.GetProperty("metrics").GetProperty("accuracy").GetDouble(),
            (double)heldOut.Zip(servedHoldout).Count(p => p.First == p.Second) / heldOut.Count, 0.0005);
        Assert.All(answers, a =>
        {
            Assert.Equal("1", a.GetProperty("model_version").GetString());
            Assert.Equal(firstRun.ToString("N"), a.GetProperty("parameters").GetProperty("run_id").GetString());
        });

        await AssertInferRefusesBadInputAsync(deploy, pipeline);

        // 1,200 rows like the training data (the file and the hold-out): drift checks were made on them (their reports are
        // stored), none found drift, and no retrain started.
        var clean = await DriftChecksAsync(store, firstRun, 1200);
        Assert.All(clean, c => Assert.False(c.Report.GetProperty("datasetDrift").GetBoolean(), c.Page));
        Assert.All(clean, c => Assert.Contains("no dataset drift", c.Page));
        Assert.Equal(0, (await registry.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipeline}&trigger=drift")).GetArrayLength());

        // Drift: the drifted batch through infer leads to DriftDetected on the serving run and a drift-triggered retrain.
        await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification-drifted.csv"));
        var retrainRun = await PipelineCalls.WaitForNewRunAsync(registry, pipeline, "Drift", RunTimeout, firstRun);
        var retrain = await PipelineCalls.WaitForRunAsync(registry, retrainRun, RunTimeout);
        Assert.Equal("deployed", retrain.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(firstRun, retrain.GetProperty("run").GetProperty("parentRunId").GetGuid());
        // Every check is kept under the serving run, as JSON and as a page that draws each feature's distributions.
        var monitoring = await store.ListAsync(ArtifactKeys.Run(firstRun) + "monitoring/", default);
        Assert.Contains(monitoring, k => k.EndsWith(".json"));
        var pageKey = monitoring.Where(k => k.EndsWith(".html")).Order().Last();
        var page = await ReadTextAsync(store, pageKey);
        Assert.Contains("DATASET DRIFT", page);
        Assert.Equal(10, page.Split("<svg role=\"img\"").Length - 1);
        var firstTimeline = await registry.GetFromJsonAsync<JsonElement>($"/runs/{firstRun:N}");
        Assert.Contains(firstTimeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "DriftDetected");
        Assert.Equal(2, retrain.GetProperty("version").GetProperty("version").GetInt32());

        // The walk-through spec turns the training cache off for drift: the retrain trains again, and (same data, spec,
        // code and seed) gets the same model, bit for bit in content.
        Assert.Equal(JsonValueKind.Null, retrain.GetProperty("run").GetProperty("cachedFrom").ValueKind);
        Assert.Equal(version.GetProperty("modelSha256").GetString(), retrain.GetProperty("version").GetProperty("modelSha256").GetString());
        var now = await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}");
        Assert.Equal("2", now.GetProperty("versions")[0].GetString());
        // The model's metadata says what it was trained with, defaults included (a small dataset: HistGradientBoosting's).
        var ran = now.GetProperty("parameters").GetProperty("hyperparameters");
        Assert.Equal((100, 31, 0.1), (ran.GetProperty("numberOfTrees").GetInt32(), ran.GetProperty("numberOfLeaves").GetInt32(), ran.GetProperty("learningRate").GetDouble()));

        // The console page draws it: both runs (the retrain joined to its parent in the run graph), both versions, live refresh.
        var console = await registry.GetAsync($"/console/{pipeline}");
        Assert.Equal("text/html", console.Content.Headers.ContentType?.MediaType);
        var consolePage = await console.Content.ReadAsStringAsync();
        Assert.Contains("http-equiv=\"refresh\"", consolePage);
        Assert.Contains($"/runs/{firstRun:N}", consolePage);
        Assert.Contains($"/runs/{retrainRun:N}", consolePage);
        Assert.Contains("<b>v2</b> serves", consolePage);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(consolePage, "<line class=\"edge\"")); // one retrain, one edge
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(consolePage, "<rect class=\"version\"").Count); // a bar per version
        Assert.Equal(HttpStatusCode.NotFound, (await registry.GetAsync("/console/no-such-pipeline")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await registry.GetAsync("/console/NOT_A_NAME")).StatusCode);
        Assert.Contains($"/console/{pipeline}", await registry.GetStringAsync("/console"));
        Assert.Contains($"/console/{pipeline}", await registry.GetStringAsync("/")); // the address itself leads to the console
        // Each run has its page: facts, the stages on a time line, the gate's verdict, the parent linked.
        var retrainNow = await registry.GetFromJsonAsync<JsonElement>($"/runs/{retrainRun:N}");
        var runPage = await registry.GetStringAsync($"/runs/{retrainRun:N}/html");
        Assert.Contains($"<a href=\"/runs/{firstRun:N}/html\">", runPage);
        Assert.Contains("Model v2: <span class=\"ok\">approved</span>", runPage);
        Assert.Equal(retrainNow.GetProperty("stages").GetArrayLength(), System.Text.RegularExpressions.Regex.Matches(runPage, "<rect class=\"stage\"").Count);
        // Each stage's own work drawn at the end of its bar, and the split said in words.
        Assert.Equal(retrainNow.GetProperty("stages").EnumerateArray().Count(s => s.GetProperty("stageSeconds").ValueKind == JsonValueKind.Number),
            System.Text.RegularExpressions.Regex.Matches(runPage, "<rect class=\"work\"").Count);
        Assert.Contains("of which the stages' own work", runPage);
        Assert.Contains("accuracy", runPage);
        Assert.Equal(HttpStatusCode.NotFound, (await registry.GetAsync($"/runs/{Guid.NewGuid():N}/html")).StatusCode);

        // The stream keeps drifting: v2's checks of 2,000 rows each find drift and decide, within the cooldown, on no second retrain.
        await Eventually(async () => (await store.TryGetJsonAsync<MlOps.Monitor.WatchedModel>(ArtifactKeys.MonitorWatch(pipeline), default))?.RunId == retrainRun); // monitor watches v2 (rows a replaced model served are not checked)
        await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification-drifted.csv"));
        await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification-drifted.csv"));
        var cooling = await DriftChecksAsync(store, retrainRun, 2000);
        Assert.All(cooling, c => Assert.True(c.Report.GetProperty("datasetDrift").GetBoolean(), c.Page));
        Assert.All(cooling, c => Assert.Contains("in cooldown until", c.Page));
        Assert.Equal(1, (await registry.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipeline}&trigger=drift")).GetArrayLength());
    }

    /// <summary>
    /// Waits until the drift checks of a run's model have covered <paramref name="rows"/> served rows (less what may still wait
    /// in an unfinished window: up to drift.minSamples − 1 = 199 in the walk-through), and returns each check as stored: the
    /// report and its page, which states the decision.
    /// </summary>
    public static async Task<List<(JsonElement Report, string Page)>> DriftChecksAsync(IArtifactStore store, Guid runId, int rows)
    {
        var checks = new Dictionary<string, (JsonElement Report, string Page)>();
        try
        {
            await Eventually(async () =>
            {
                foreach (var key in await store.ListAsync(ArtifactKeys.Run(runId) + "monitoring/", default))
                {
                    var page = key[..^".json".Length] + ".html";
                    if (!key.EndsWith(".json") || checks.ContainsKey(key) || !await store.ExistsAsync(page, default)) continue;
                    checks[key] = (await store.GetJsonAsync<JsonElement>(key, default), await ReadTextAsync(store, page));
                }
                return checks.Values.Sum(c => c.Report.GetProperty("currentRows").GetInt32()) > rows - 200;
            });
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Drift checks of run {runId:N} covered fewer than {rows - 199} rows: {string.Join(", ", checks.Keys)}");
        }
        return checks.OrderBy(c => c.Key).Select(c => c.Value).ToList();
    }

    /// <summary>
    /// Issue 3 through the running pipeline: the walk-through suite accepts the sample; a file that breaks three expectations is
    /// rejected and its report (JSON and page, via the validate API) names all three with examples; a file missing a column of
    /// the last accepted schema is rejected as a schema anomaly. No model version comes of either.
    /// </summary>
    public static async Task ValidationAsync(HttpClient ingest, HttpClient registry, HttpClient validate, string pipeline, string scratch)
    {
        await PipelineCalls.PutWalkthroughSpecAsync(ingest, pipeline);
        var good = await PipelineCalls.WaitForRunAsync(registry, await PipelineCalls.UploadAsync(ingest, pipeline, TestInfra.Sample("classification.csv")), RunTimeout);
        Assert.Equal("deployed", good.GetProperty("run").GetProperty("status").GetString());

        var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
        string Set(string line, int column, string value) { var f = line.Split(','); f[column] = value; return string.Join(',', f); }
        lines[10] = Set(lines[10], 0, "999");      // feature_0 outside [-50, 50]
        lines[20] = Set(lines[20], 10, "2");       // a target class outside {0, 1}
        lines[30] = Set(lines[30], 3, "n/a");      // text in a numeric feature
        var broken = Path.Combine(scratch, "three-broken.csv");
        await File.WriteAllLinesAsync(broken, lines);
        var runId = await PipelineCalls.UploadAsync(ingest, pipeline, broken);
        var run = await PipelineCalls.WaitForRunAsync(registry, runId, RunTimeout);
        Assert.Equal("rejected", run.GetProperty("run").GetProperty("status").GetString());
        Assert.True(!run.TryGetProperty("version", out var made) || made.ValueKind == JsonValueKind.Null, "a rejected dataset made a model version");

        var report = await validate.GetFromJsonAsync<JsonElement>($"/validation/{runId:N}");
        Assert.False(report.GetProperty("success").GetBoolean());
        var failed = report.GetProperty("results").EnumerateArray().Where(r => !r.GetProperty("success").GetBoolean()).ToList();
        string Examples(string expectation, string column) => string.Join(" | ", failed
            .Single(r => r.GetProperty("expectationType").GetString() == expectation && r.GetProperty("column").GetString() == column)
            .GetProperty("result").GetProperty("partialUnexpectedList").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("line 11: '999'", Examples("expect_column_values_to_be_between", "feature_0"));
        Assert.Contains("line 21: '2'", Examples("expect_column_values_to_be_in_set", "target"));
        Assert.Contains("line 31: 'n/a'", Examples("expect_column_values_to_be_of_type", "feature_3"));
        var page = await validate.GetStringAsync($"/validation/{runId:N}/html");
        foreach (var expected in new[] { "REJECTED", "expect_column_values_to_be_between", "expect_column_values_to_be_in_set", "expect_column_values_to_be_of_type", "line 31: &#39;n/a&#39;", "<svg" })
            Assert.Contains(expected, page);

        var narrower = Path.Combine(scratch, "no-feature-9.csv");
        await File.WriteAllLinesAsync(narrower, File.ReadAllLines(TestInfra.Sample("classification.csv")).Select(l => { var f = l.Split(','); return string.Join(',', f[..9].Append(f[10])); }));
        var schemaRun = await PipelineCalls.WaitForRunAsync(registry, await PipelineCalls.UploadAsync(ingest, pipeline, narrower), RunTimeout);
        Assert.Equal("rejected", schemaRun.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains("missing: feature_9", schemaRun.GetProperty("run").GetProperty("error").GetString());
    }

    /// <summary>
    /// Issue 4 through the running pipeline: a dataset with a categorical, a hashed and an imputed column trains, and its hold-out
    /// rows sent raw to infer score exactly as ML.NET scored them at training time; a worse model (a one-tree stump) is rejected
    /// against the champion on the same hold-out rows; a forced approval needs a reason, is recorded, and deploys the version.
    /// </summary>
    public static async Task TrainingAndGateAsync(HttpClient ingest, HttpClient registry, HttpClient deploy, IArtifactStore store, string pipeline, string scratch)
    {
        var spec = """
            {"target":"label","features":{"categorical":["colour"],"hashed":["zip"],"hashBits":6,"impute":{"size":"mean"},"normalize":"meanVariance",
                          "derived":[{"name":"size_squared","op":"product","of":["size","size"]}]},
             "validation":{"minRows":100},"gate":{"minimum":0.8,"championTolerance":0.0}}
            """;
        await PipelineCalls.PutSpecAsync(ingest, pipeline, spec);
        var data = Path.Combine(scratch, "categorical.csv");
        await File.WriteAllTextAsync(data, TrainingTests.CategoricalCsv());
        var firstRun = await PipelineCalls.UploadAsync(ingest, pipeline, data);
        var first = await PipelineCalls.WaitForRunAsync(registry, firstRun, RunTimeout);
        Assert.True("deployed" == first.GetProperty("run").GetProperty("status").GetString(), first.ToString());

        // The hold-out rows, raw (text and empty cells), through the V2 protocol: the same answers as training time.
        var holdout = (await ReadTextAsync(store, ArtifactKeys.Holdout(firstRun))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = (await ReadTextAsync(store, ArtifactKeys.HoldoutPredictions(firstRun))).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        var header = holdout[0].Split(',');
        var rows = holdout.Skip(1).Select(l => l.Split(',')).ToList();
        int Col(string name) => Array.IndexOf(header, name);
        var body = new
        {
            inputs = new object[]
            {
                new { name = "size", datatype = "FP32", shape = new[] { rows.Count }, data = rows.Select(r => r[Col("size")] == "" ? (double?)null : double.Parse(r[Col("size")], System.Globalization.CultureInfo.InvariantCulture)).ToArray() },
                new { name = "colour", datatype = "BYTES", shape = new[] { rows.Count }, data = rows.Select(r => r[Col("colour")]).ToArray() },
                new { name = "zip", datatype = "BYTES", shape = new[] { rows.Count }, data = rows.Select(r => r[Col("zip")]).ToArray() },
            },
        };
        Assert.Contains(rows, r => r[Col("size")] == "");
        var response = await deploy.PostAsJsonAsync($"/v2/models/{pipeline}/infer", body);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, answer.ToString());
        var labels = answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString()).ToList();
        var probabilities = answer.GetProperty("outputs")[1].GetProperty("data").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.Equal(expected.Select(e => e[0]), labels);
        for (var i = 0; i < expected.Count; i++)
            Assert.Equal(double.Parse(expected[i][2], System.Globalization.CultureInfo.InvariantCulture), probabilities[2 * i + 1], 1e-5);
        var card = JsonDocument.Parse(await ReadTextAsync(store, ArtifactKeys.ModelCard(firstRun))).RootElement;
        Assert.InRange(card.GetProperty("onnxMaxDifference").GetDouble(), 0, 1e-5);
        // size_squared was computed by the graph from the raw size sent above: the caller never sends it.
        Assert.Equal("size_squared", card.GetProperty("derivedFeatures")[0].GetProperty("name").GetString());
        Assert.DoesNotContain("size_squared", card.GetProperty("features").EnumerateArray().Select(f => f.GetString()));

        // A worse model: one tree with two leaves, scored with the champion on the same hold-out rows, is rejected.
        await PipelineCalls.PutSpecAsync(ingest, pipeline, spec.Replace("\"target\":\"label\",", "\"target\":\"label\",\"trainer\":{\"hyperparameters\":{\"numberOfTrees\":1,\"numberOfLeaves\":2}},")
            .Replace("\"minimum\":0.8", "\"minimum\":0.5"));
        var worseRun = await PipelineCalls.UploadAsync(ingest, pipeline, data);
        var worse = await PipelineCalls.WaitForRunAsync(registry, worseRun, RunTimeout);
        Assert.Equal("model-rejected", worse.GetProperty("run").GetProperty("status").GetString());
        var reasons = string.Join(" ", worse.GetProperty("version").GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("worse than champion v1", reasons);
        Assert.Contains("same hold-out rows", reasons);
        var gate = JsonDocument.Parse(await ReadTextAsync(store, ArtifactKeys.Gate(worseRun))).RootElement;
        Assert.True(gate.GetProperty("champion").GetProperty("sameRows").GetBoolean());
        Assert.Equal("1", (await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());

        // Forcing it through needs a reason; with one, the override is recorded and the version deploys.
        var version = worse.GetProperty("version").GetProperty("version").GetInt32();
        var aliasToRejected = await registry.PutAsJsonAsync($"/models/{pipeline}/aliases/challenger", new { version, reason = "try it" });
        Assert.Equal(HttpStatusCode.Conflict, aliasToRejected.StatusCode); // a rejected version needs an overrideReason
        Assert.Contains("overrideReason", await aliasToRejected.Content.ReadAsStringAsync());
        var noReason = await registry.PostAsJsonAsync($"/models/{pipeline}/versions/{version}/approve", new { reason = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await registry.PostAsJsonAsync($"/models/{pipeline}/versions/99/approve", new { reason = "x" })).StatusCode);
        var forced = await registry.PostAsJsonAsync($"/models/{pipeline}/versions/{version}/approve", new { reason = "smaller model for the edge devices", by = "alice" });
        Assert.True(forced.IsSuccessStatusCode, await forced.Content.ReadAsStringAsync());
        var deployed = await PipelineCalls.WaitForRunAsync(registry, worseRun, RunTimeout, "deployed");
        var events = deployed.GetProperty("events").EnumerateArray().ToList();
        var overridden = events.Single(e => e.GetProperty("kind").GetString() == "GateOverridden").GetProperty("detail");
        // Who: the caller's authenticated identity (the admin key here); what the body said only a note beside it.
        Assert.Equal("key:admin (for alice)", overridden.GetProperty("by").GetString());
        Assert.Equal("smaller model for the edge devices", overridden.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await registry.PostAsJsonAsync($"/models/{pipeline}/versions/{version}/approve", new { reason = "again" })).StatusCode);
        Assert.Equal(version.ToString(), (await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());
    }

    /// <summary>
    /// Issue 5 through the running pipeline: lineage from a real prediction ID back to the dataset's hash; "what served at T"
    /// before and after a promotion; a cache hit when identical bytes come again (none when the seed changed); a one-call
    /// rollback that deploy serves; redelivered events that add nothing; bad registry requests answered with 4xx.
    /// </summary>
    public static async Task RegistryAsync(HttpClient ingest, HttpClient registry, HttpClient deploy, Func<object, Task> publish, string pipeline)
    {
        var spec = """{"target":"target","trainer":{"seed":42},"validation":{"minRows":100},"gate":{"minimum":0.8,"championTolerance":0.05}}""";
        await PipelineCalls.PutSpecAsync(ingest, pipeline, spec);
        var data = TestInfra.Sample("classification.csv");
        var firstRun = await PipelineCalls.UploadAsync(ingest, pipeline, data);
        var first = await PipelineCalls.WaitForRunAsync(registry, firstRun, RunTimeout);
        Assert.Equal("deployed", first.GetProperty("run").GetProperty("status").GetString());

        // Lineage from a prediction ID that infer handed out.
        var answer = (await PipelineCalls.InferCsvAsync(deploy, pipeline, data, batch: 3))[0];
        var predictionId = answer.GetProperty("parameters").GetProperty("prediction_ids")[0].GetString()!;
        var lineage = await registry.GetFromJsonAsync<JsonElement>($"/lineage/predictions/{predictionId}");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(data)));
        Assert.Equal(sha, lineage.GetProperty("dataset").GetProperty("sha256").GetString());
        Assert.Equal(1000, lineage.GetProperty("dataset").GetProperty("rows").GetInt64());
        Assert.Equal(1, lineage.GetProperty("version").GetProperty("version").GetInt32());
        Assert.Equal(firstRun, lineage.GetProperty("run").GetProperty("runId").GetGuid());
        Assert.Equal(64, lineage.GetProperty("spec").GetProperty("sha256").GetString()!.Length);
        Assert.Equal(ArtifactKeys.Validation(firstRun), lineage.GetProperty("validation").GetProperty("reportKey").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await registry.GetAsync("/lineage/predictions/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await registry.GetAsync($"/lineage/predictions/{Guid.NewGuid():N}-{Guid.NewGuid():N}")).StatusCode);

        await Task.Delay(50);
        var beforePromotion = DateTimeOffset.UtcNow;
        await Task.Delay(50);

        // Another seed: a new model (no cache hit), promoted to champion.
        await PipelineCalls.PutSpecAsync(ingest, pipeline, spec.Replace("\"seed\":42", "\"seed\":43"));
        var secondRun = await PipelineCalls.UploadAsync(ingest, pipeline, data);
        var second = await PipelineCalls.WaitForRunAsync(registry, secondRun, RunTimeout);
        Assert.Equal("deployed", second.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("run").GetProperty("cachedFrom").ValueKind);
        Assert.NotEqual(first.GetProperty("version").GetProperty("modelSha256").GetString(), second.GetProperty("version").GetProperty("modelSha256").GetString());

        async Task<int> ServedAt(DateTimeOffset at) =>
            (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/served?at={Uri.EscapeDataString(at.ToString("O"))}")).GetProperty("version").GetInt32();
        Assert.Equal(1, await ServedAt(beforePromotion));
        Assert.Equal(2, await ServedAt(DateTimeOffset.UtcNow));

        // The same bytes, spec, code and seed again: the model of run 2 is reused, not trained.
        var thirdRun = await PipelineCalls.UploadAsync(ingest, pipeline, data);
        var third = await PipelineCalls.WaitForRunAsync(registry, thirdRun, RunTimeout);
        Assert.Equal(secondRun, third.GetProperty("run").GetProperty("cachedFrom").GetGuid());
        Assert.Equal(second.GetProperty("version").GetProperty("modelSha256").GetString(), third.GetProperty("version").GetProperty("modelSha256").GetString());
        Assert.DoesNotContain(third.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "RunFailed");
        Assert.Equal(3, (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/aliases/champion")).GetProperty("version").GetInt32());

        // One-call rollback: the champion before v3 (v2) serves again, and the log says who and why.
        Assert.Equal(HttpStatusCode.BadRequest, (await registry.PostAsJsonAsync($"/models/{pipeline}/rollback", new { reason = "" })).StatusCode);
        var rollback = await registry.PostAsJsonAsync($"/models/{pipeline}/rollback", new { reason = "v3 answers slowly", by = "oncall" });
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        await Eventually(async () => (await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString() == "2");
        await Eventually(async () => (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/aliases/champion")).GetProperty("version").GetInt32() == 2);
        var log = await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/log");
        Assert.Contains(log.EnumerateArray(), e => e.GetProperty("kind").GetString() == "rollback-requested" && e.GetProperty("actor").GetString() == "key:admin (for oncall)"
            && e.GetProperty("reason").GetString() == "v3 answers slowly");
        Assert.Equal(2, await ServedAt(DateTimeOffset.UtcNow));
        var history = await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/aliases/champion/history");
        Assert.Equal([1, 2, 3, 2], history.EnumerateArray().Select(e => e.GetProperty("detail").GetProperty("to").GetInt32()));

        // A late or redelivered approval of the rolled-back v3 does not bring it back.
        var v3 = third.GetProperty("version");
        await publish(new Contracts.ModelApproved(thirdRun, pipeline, 3, v3.GetProperty("modelSha256").GetString()!, ["redelivered"]));
        var skipped = await PipelineCalls.WaitForSkippedDeploymentAsync(registry, thirdRun, 1);
        Assert.Contains("v3 was rolled back", skipped[0].GetProperty("detail").GetProperty("reason").GetString());
        Assert.Equal("2", (await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());

        // Redelivered events add nothing: no second version, no second deployment entry.
        var versionsBefore = (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions")).GetArrayLength();
        var logBefore = (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/log")).GetArrayLength();
        var v1 = first.GetProperty("version");
        var metrics = v1.GetProperty("metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        await publish(new Contracts.ModelTrained(firstRun, pipeline, v1.GetProperty("modelSha256").GetString()!, Contracts.ModelTask.Binary, "LightGbm", metrics));
        var deployedEvent = first.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "ModelDeployed").GetProperty("detail");
        await publish(new Contracts.ModelDeployed(firstRun, pipeline, 1, v1.GetProperty("modelSha256").GetString()!, deployedEvent.GetProperty("executionProvider").GetString()!,
            deployedEvent.GetProperty("deployedAt").GetDateTimeOffset()));
        // Both were handled: the registry republished its recorded verdict (a second ModelApproved of v1, which deploy skips as
        // older than what serves) and the timeline holds the second ModelDeployed.
        Assert.Contains("v2 is newer and serves", (await PipelineCalls.WaitForSkippedDeploymentAsync(registry, firstRun, 1))[0].GetProperty("detail").GetProperty("reason").GetString());
        await Eventually(async () => (await registry.GetFromJsonAsync<JsonElement>($"/runs/{firstRun:N}")).GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString()).Where(k => k is "ModelApproved" or "ModelDeployed").Count() == 4);
        Assert.Equal(versionsBefore, (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions")).GetArrayLength());
        Assert.Equal(logBefore, (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/log")).GetArrayLength());

        // Filters and comparison.
        var byTrigger = await registry.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipeline}&trigger=upload&from={Uri.EscapeDataString(beforePromotion.ToString("O"))}");
        Assert.Equal([thirdRun, secondRun], byTrigger.EnumerateArray().Select(r => r.GetProperty("runId").GetGuid()));
        var compared = await registry.GetFromJsonAsync<JsonElement>($"/runs/compare?ids={firstRun:N},{secondRun:N}");
        Assert.Equal([42, 43], compared.EnumerateArray().Select(r => r.GetProperty("seed").GetInt32()));
        Assert.All(compared.EnumerateArray(), r => Assert.True(r.GetProperty("metrics").GetProperty("accuracy").GetDouble() > 0.8));
        Assert.All(compared.EnumerateArray(), r => Assert.Equal(100, r.GetProperty("hyperparameters").GetProperty("numberOfTrees").GetInt32())); // what ran, not only what the spec named

        // Bad requests: 4xx ProblemDetails, nothing changed.
        foreach (var (url, status) in new[]
        {
            ("/models/no-such-model/versions/1", HttpStatusCode.NotFound), ($"/models/{pipeline}/versions/99", HttpStatusCode.NotFound),
            ($"/models/{pipeline}/aliases/nope", HttpStatusCode.NotFound), ("/runs?limit=abc", HttpStatusCode.BadRequest),
            ("/runs?from=yesterday", HttpStatusCode.BadRequest), ("/runs?trigger=magic", HttpStatusCode.BadRequest),
            ($"/models/{new string('a', 300)}/versions", HttpStatusCode.BadRequest), ("/models/..%2Fetc/versions", HttpStatusCode.BadRequest),
            ($"/models/{pipeline}/served?at=noon", HttpStatusCode.BadRequest), ("/runs/compare?ids=1,2", HttpStatusCode.BadRequest),
        })
        {
            var response = await registry.GetAsync(url);
            Assert.True(status == response.StatusCode, $"{url} → {(int)response.StatusCode}");
        }
        var noReason = await registry.PutAsJsonAsync($"/models/{pipeline}/aliases/challenger", new { version = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        var challenger = await registry.PutAsJsonAsync($"/models/{pipeline}/aliases/challenger", new { version = 1, reason = "A/B against v2", by = "ml-team" });
        Assert.True(challenger.IsSuccessStatusCode, await challenger.Content.ReadAsStringAsync());
        Assert.Equal(1, (await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/aliases/challenger")).GetProperty("version").GetInt32());

        // Version tags merge (a later PUT adds and overwrites, never drops), show on the version, and bad tags change nothing.
        async Task<HttpResponseMessage> Tag(int v, string json) =>
            await registry.PutAsync($"/models/{pipeline}/versions/{v}/tags", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True((await Tag(2, """{"owner":"risk-team","ticket":"ML-1"}""")).IsSuccessStatusCode);
        var tagged = await Tag(2, """{"ticket":"ML-2","stage":"reviewed"}""");
        Assert.True(tagged.IsSuccessStatusCode, await tagged.Content.ReadAsStringAsync());
        Dictionary<string, string> TagsOf(JsonElement version) => version.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var expectedTags = new Dictionary<string, string> { ["owner"] = "risk-team", ["ticket"] = "ML-2", ["stage"] = "reviewed" };
        Assert.Equal(expectedTags, TagsOf(await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions/2")));
        Assert.Empty(TagsOf(await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions/1")));
        foreach (var bad in new[] { "{}", "[]", "not json", $$"""{"{{new string('k', 101)}}":"v"}""", $$"""{"k":"{{new string('v', 1001)}}"}""",
                     "{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"t{i}\":\"v\"")) + "}", """{"owner":null}""" })
            Assert.Equal(HttpStatusCode.BadRequest, (await Tag(2, bad)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Tag(99, """{"a":"b"}""")).StatusCode);
        Assert.Equal(expectedTags, TagsOf(await registry.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions/2")));
    }

    static async Task Eventually(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(RunTimeout);
        while (!await condition()) await Task.Delay(200, cts.Token);
    }

    static async Task<string> ReadTextAsync(IArtifactStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, default);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    static async Task AssertInferRefusesBadInputAsync(HttpClient deploy, string pipeline)
    {
        async Task Refused(string body, HttpStatusCode status, string says, string model = "")
        {
            var response = await deploy.PostAsync($"/v2/models/{(model == "" ? pipeline : model)}/infer", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{body} → {(int)response.StatusCode} {text}");
            Assert.Contains(says, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        await Refused("{not json", HttpStatusCode.BadRequest, "not valid JSON");
        await Refused("{}", HttpStatusCode.BadRequest, "inputs");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", HttpStatusCode.BadRequest, "shape");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,10],"datatype":"BYTES","data":["a","b","c","d","e","f","g","h","i","j"]}]}""", HttpStatusCode.BadRequest, "datatype");
        await Refused("""{"inputs":[{"name":"Features","shape":[2,10],"datatype":"FP32","data":[1,2,3]}]}""", HttpStatusCode.BadRequest, "needs 20");
        await Refused("""{"inputs":[{"name":"feature_0","shape":[1],"datatype":"FP32","data":[1]}]}""", HttpStatusCode.BadRequest, "Missing inputs");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,10],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9,null]}]}""", HttpStatusCode.BadRequest, "feature_9' is not a finite number");
        await Refused("""{"inputs":[]}""", HttpStatusCode.NotFound, "not served", model: "no-such-model");
    }
}
