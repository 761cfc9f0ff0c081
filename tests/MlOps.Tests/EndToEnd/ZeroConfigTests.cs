namespace MlOps.Tests;

/// <summary>
/// Issue 15 through the running app, each table generated here and uploaded with no spec at all: what MlOps must work out
/// by itself (the task, a gate that means something for this table) and what it must refuse.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class ZeroConfigTests
{
    static string Table(int rows, int seed, Func<double, double, double, Random, string> target)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("x0,x1,x2,y\n");
        for (var i = 0; i < rows; i++)
        {
            double x0 = random.NextDouble() * 10, x1 = random.NextDouble() * 10, x2 = random.NextDouble() * 10;
            csv.Append(CultureInfo.InvariantCulture, $"{x0:F4},{x1:F4},{x2:F4},{target(x0, x1, x2, random)}\n");
        }
        return csv.ToString();
    }

    static async Task<JsonElement> UploadAsync(EmbeddedApp mlops, string pipeline, string csv)
    {
        var path = Path.Combine(mlops.DataPath, pipeline + ".csv");
        await File.WriteAllTextAsync(path, csv);
        return await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, pipeline, path), RunTimeout);
    }

    /// <summary>
    /// A continuous target trains a regression; one the features explain a little (r² ≈ 0.4 where the mean scores 0) is
    /// approved, as a fixed 0.7 would not have; a target the features do not explain at all is rejected for not beating the mean.
    /// </summary>
    [Fact]
    public async Task AContinuousTargetTrainsARegressionJudgedAgainstTheMean()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        // y = 3·x0 + noise with σ ≈ 1.2× the signal's: r² about 0.4.
        var weak = await UploadAsync(mlops, "weak-signal", Table(3000, 1, (x0, _, _, r) => (3 * x0 + 10.5 * (r.NextDouble() + r.NextDouble() + r.NextDouble() - 1.5) * 2 + 50).ToString("F3", CultureInfo.InvariantCulture)));
        Assert.Equal("deployed", weak.GetProperty("run").GetProperty("status").GetString());
        var r2 = weak.GetProperty("version").GetProperty("metrics").GetProperty("r2").GetDouble();
        Assert.InRange(r2, 0.2, 0.6);
        var reasons = string.Join(" ", weak.GetProperty("version").GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("beats the best constant answer (the mean", reasons);
        Assert.Equal("Regression", (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/weak-signal")).GetProperty("parameters").GetProperty("task").GetString());

        var noise = await UploadAsync(mlops, "no-signal", Table(3000, 2, (_, _, _, r) => (r.NextDouble() * 100).ToString("F3", CultureInfo.InvariantCulture)));
        Assert.Equal("model-rejected", noise.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains(noise.GetProperty("version").GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("does not beat the best constant answer (the mean"));
    }

    /// <summary>The README's first step: samples/customers.csv, with no spec, deploys and answers a raw row with an empty spend.</summary>
    [Fact]
    public async Task TheReadmesCustomerSampleDeploysWithNoSpec()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "churn", TestInfra.Sample("customers.csv")), RunTimeout);
        Assert.True(run.GetProperty("run").GetProperty("status").GetString() == "deployed", run.GetProperty("version").ToString());
        var body = """
            {"inputs": [{"name": "age", "datatype": "FP32", "shape": [1], "data": [34]}, {"name": "monthly_spend", "datatype": "FP32", "shape": [1], "data": [null]},
              {"name": "city", "datatype": "BYTES", "shape": [1], "data": ["Lyon"]}, {"name": "plan", "datatype": "BYTES", "shape": [1], "data": ["pro"]}]}
            """;
        var answer = await mlops.Client.PostAsync("/v2/models/churn/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The customer table of issue 15, generated here: an ID, two text columns, an age, a spend with 5% empty cells, a signup
    /// date and a yes/no target. With no spec it deploys: the ID and the date left out (kept in the data), the text one-hot
    /// encoded, the spend's gaps imputed inside the model; the report says what was worked out and why; a raw row with text
    /// and an empty spend scores; and a second file whose city has become a number is rejected as a schema change.
    /// </summary>
    [Fact]
    public async Task ATableWithTextGapsAnIdAndADateDeploysWithNoSpec()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        string[] cities = ["Lyon", "Porto", "Graz", "Turku", "Cork", "Brno"];
        string[] plans = ["basic", "plus", "pro"];
        string Customers(int rows, int seed, bool numericCity = false)
        {
            var random = new Random(seed);
            var csv = new StringBuilder("customer_id,city,plan,age,monthly_spend,signup,churn\n");
            for (var i = 0; i < rows; i++)
            {
                var city = random.Next(cities.Length);
                var plan = random.Next(plans.Length);
                var age = 18 + random.Next(60);
                var spend = 20 + random.NextDouble() * 80;
                var risk = 1.6 * plan - 0.03 * spend + (city < 2 ? 1.2 : 0) - 0.02 * (age - 40) + (random.NextDouble() - 0.5) * 2;
                var spendText = random.Next(20) == 0 ? "" : spend.ToString("F2", CultureInfo.InvariantCulture);
                csv.Append(CultureInfo.InvariantCulture,
                    $"C-{100000 + i},{(numericCity ? (city * 10).ToString(CultureInfo.InvariantCulture) : cities[city])},{plans[plan]},{age},{spendText},2024-{1 + random.Next(12):00}-{1 + random.Next(28):00},{(risk > 0.5 ? "yes" : "no")}\n");
            }
            return csv.ToString();
        }

        var run = await UploadAsync(mlops, "customers", Customers(3000, 7));
        Assert.True(run.GetProperty("run").GetProperty("status").GetString() == "deployed", run.GetProperty("run").ToString());
        var runId = run.GetProperty("run").GetProperty("runId").GetGuid();
        var report = await mlops.Service<IArtifactStore>().GetJsonAsync<JsonElement>(ArtifactKeys.Validation(runId), default);
        var roles = report.GetProperty("inferred").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("role").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["customer_id"] = "identifier", ["city"] = "categorical", ["plan"] = "categorical", ["age"] = "number", ["monthly_spend"] = "number", ["signup"] = "timestamp",
        }, roles);
        var page = await mlops.Client.GetStringAsync($"/validation/{runId:N}/html");
        Assert.Contains("What MlOps worked out", page);
        Assert.Contains("shaped like IDs", page);

        var model = (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/customers")).GetProperty("parameters");
        static List<string> Names(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(["age", "monthly_spend"], Names(model.GetProperty("features")));
        Assert.Equal(["city", "plan"], Names(model.GetProperty("categorical")));
        Assert.Equal(["monthly_spend"], Names(model.GetProperty("imputed")));

        // The inference is written into the pipeline's spec (marked, with the run it came from): the next file is checked against it.
        JsonElement spec = default;
        await Eventually(async () => (spec = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/customers")).GetProperty("inference").GetProperty("learnedFrom").ValueKind == JsonValueKind.String);
        Assert.Equal(runId, spec.GetProperty("inference").GetProperty("learnedFrom").GetGuid());
        Assert.Equal(6, spec.GetProperty("inference").GetProperty("learned").GetArrayLength());
        Assert.Equal(["city", "plan"], Names(spec.GetProperty("features").GetProperty("categorical")));
        Assert.Equal(["customer_id", "signup"], Names(spec.GetProperty("features").GetProperty("exclude")));
        Assert.Equal("number", spec.GetProperty("validation").GetProperty("columnTypes").GetProperty("monthly_spend").GetString());
        Assert.Equal("median", spec.GetProperty("features").GetProperty("impute").GetProperty("monthly_spend").GetString());
        Assert.False(spec.GetProperty("features").GetProperty("impute").TryGetProperty("age", out _));
        var roundTrip = await mlops.Client.PutAsync("/pipelines/customers", new StringContent(spec.ToString(), Encoding.UTF8, "application/json"));
        Assert.True(roundTrip.IsSuccessStatusCode, await roundTrip.Content.ReadAsStringAsync()); // what GET shows, PUT takes back
        Assert.True(run.GetProperty("version").GetProperty("metrics").GetProperty("accuracy").GetDouble() > 0.75, run.GetProperty("version").ToString());

        var body = new
        {
            inputs = new object[]
            {
                new { name = "age", datatype = "FP32", shape = new[] { 2 }, data = new double[] { 30, 61 } },
                new { name = "monthly_spend", datatype = "FP32", shape = new[] { 2 }, data = new double?[] { 25.5, null } },
                new { name = "city", datatype = "BYTES", shape = new[] { 2 }, data = new[] { "Lyon", "Brno" } },
                new { name = "plan", datatype = "BYTES", shape = new[] { 2 }, data = new[] { "pro", "basic" } },
            },
        };
        var scored = await mlops.Client.PostAsJsonAsync("/v2/models/customers/infer", body);
        Assert.True(scored.IsSuccessStatusCode, await scored.Content.ReadAsStringAsync());

        var second = await UploadAsync(mlops, "customers", Customers(3000, 8, numericCity: true));
        Assert.Equal("rejected", second.GetProperty("run").GetProperty("status").GetString());
        var secondReport = await mlops.Service<IArtifactStore>().GetJsonAsync<JsonElement>(ArtifactKeys.Validation(second.GetProperty("run").GetProperty("runId").GetGuid()), default);
        Assert.Contains(secondReport.GetProperty("results").EnumerateArray(), r => r.GetProperty("expectationType").GetString() == "schema_type_changed"
            && !r.GetProperty("success").GetBoolean() && r.GetProperty("message").GetString()!.Contains("city: string → number"));
    }
}

