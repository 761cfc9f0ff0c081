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
              {"name": "city", "datatype": "BYTES", "shape": [1], "data": ["Lyon"]}, {"name": "plan", "datatype": "BYTES", "shape": [1], "data": ["pro"]},
              {"name": "signup", "datatype": "BYTES", "shape": [1], "data": ["2024-05-17"]}]}
            """;
        var answer = await mlops.Client.PostAsync("/v2/models/churn/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The customer table of issue 15, generated here: an ID, two text columns, an age, a spend with 5% empty cells, a signup
    /// date and a yes/no target. With no spec it deploys: the ID left out (kept in the data), the date read for its parts, the
    /// text one-hot encoded, the spend's gaps imputed inside the model; the report says what was worked out and why; a raw row with text
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
        Assert.Equal(["signup"], Names(model.GetProperty("timestamps")));

        // The inference is written into the pipeline's spec (marked, with the run it came from): the next file is checked against it.
        JsonElement spec = default;
        await Eventually(async () => (spec = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/customers")).GetProperty("inference").GetProperty("learnedFrom").ValueKind == JsonValueKind.String);
        Assert.Equal(runId, spec.GetProperty("inference").GetProperty("learnedFrom").GetGuid());
        Assert.Equal(6, spec.GetProperty("inference").GetProperty("learned").GetArrayLength());
        Assert.Equal(["city", "plan"], Names(spec.GetProperty("features").GetProperty("categorical")));
        Assert.Equal(["customer_id"], Names(spec.GetProperty("features").GetProperty("exclude")));
        Assert.Equal(["signup"], Names(spec.GetProperty("features").GetProperty("timestamps")));
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
                new { name = "signup", datatype = "BYTES", shape = new[] { 2 }, data = new[] { "2024-02-29", "" } },
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

    /// <summary>
    /// Issue 15's orders table, generated here: an ORD-style ID, an ISO timestamp (two layouts, some empty), a channel, a
    /// count, a price, a true/false flag, and a target that the weekday and hour decide most of. With no spec it deploys with
    /// the ID left out and the timestamp read for its date parts, clearly better than the same rows without the timestamp;
    /// the served model takes the timestamp's raw text; and a later file with a date the reader cannot read is rejected
    /// naming the column, as the learned spec now declares it a timestamp.
    /// </summary>
    [Fact]
    public async Task AnOrdersTableWithAnIdAndATimestampLearnsFromTheDatesParts()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var orders = Orders(4000, 11);
        var with = await UploadAsync(mlops, "orders", orders);
        Assert.True(with.GetProperty("run").GetProperty("status").GetString() == "deployed", with.ToString());
        var without = await UploadAsync(mlops, "orders-undated", DatePartsTests.Without(orders, "placed_at"));
        // Without the timestamp the rest barely beats always answering "no": the gate may well turn it down.
        Assert.Contains(without.GetProperty("run").GetProperty("status").GetString(), new[] { "deployed", "model-rejected" });
        double Accuracy(JsonElement run) => run.GetProperty("version").GetProperty("metrics").GetProperty("accuracy").GetDouble();
        Assert.True(Accuracy(with) >= Accuracy(without) + 0.05, $"with the timestamp {Accuracy(with):F3}, without {Accuracy(without):F3}");

        var runId = with.GetProperty("run").GetProperty("runId").GetGuid();
        var report = await mlops.Service<IArtifactStore>().GetJsonAsync<JsonElement>(ArtifactKeys.Validation(runId), default);
        var roles = report.GetProperty("inferred").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("role").GetString());
        Assert.Equal("identifier", roles["order_id"]);
        Assert.Equal("timestamp", roles["placed_at"]);
        Assert.Equal("categorical", roles["channel"]);
        Assert.Equal("boolean", roles["gift"]);
        var page = await mlops.Client.GetStringAsync($"/validation/{runId:N}/html");
        Assert.Contains("the model reads its year, month, day, weekday, hour", page);

        var model = (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/orders")).GetProperty("parameters");
        Assert.Equal(["placed_at"], model.GetProperty("timestamps").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain("order_id", model.ToString());
        async Task<double> ReturnedAsync(string placedAt)
        {
            var body = new
            {
                inputs = new object[]
                {
                    new { name = "items", datatype = "FP32", shape = new[] { 1 }, data = new double[] { 2 } },
                    new { name = "price", datatype = "FP32", shape = new[] { 1 }, data = new double[] { 40 } },
                    new { name = "channel", datatype = "BYTES", shape = new[] { 1 }, data = new[] { "web" } },
                    new { name = "gift", datatype = "BYTES", shape = new[] { 1 }, data = new[] { "false" } },
                    new { name = "placed_at", datatype = "BYTES", shape = new[] { 1 }, data = new[] { placedAt } },
                },
            };
            var answer = await mlops.Client.PostAsJsonAsync("/v2/models/orders/infer", body);
            var json = await answer.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(answer.IsSuccessStatusCode, json.ToString());
            return json.GetProperty("outputs")[1].GetProperty("data")[1].GetDouble();
        }
        var saturdayNight = await ReturnedAsync("2025-03-15T22:10:00");
        var tuesdayMorning = await ReturnedAsync("2025-03-11 09:10");
        Assert.True(saturdayNight > tuesdayMorning + 0.3, $"Saturday night {saturdayNight:F3}, Tuesday morning {tuesdayMorning:F3}");
        var unreadable = await mlops.Client.PostAsJsonAsync("/v2/models/orders/infer", new
        {
            inputs = new object[]
            {
                new { name = "items", datatype = "FP32", shape = new[] { 1 }, data = new double[] { 2 } },
                new { name = "price", datatype = "FP32", shape = new[] { 1 }, data = new double[] { 40 } },
                new { name = "channel", datatype = "BYTES", shape = new[] { 1 }, data = new[] { "web" } },
                new { name = "gift", datatype = "BYTES", shape = new[] { 1 }, data = new[] { "false" } },
                new { name = "placed_at", datatype = "BYTES", shape = new[] { 1 }, data = new[] { "15/03/2025" } },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Contains("'placed_at': '15/03/2025' is not an ISO 8601 date or time", await unreadable.Content.ReadAsStringAsync());

        JsonElement spec = default;
        await Eventually(async () => (spec = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/orders")).GetProperty("inference").GetProperty("learnedFrom").ValueKind == JsonValueKind.String);
        Assert.Equal(["placed_at"], spec.GetProperty("features").GetProperty("timestamps").EnumerateArray().Select(e => e.GetString()));
        var garbled = await UploadAsync(mlops, "orders", orders.Replace(",2024-03-0", ",soon-03-0", StringComparison.Ordinal));
        Assert.Equal("rejected", garbled.GetProperty("run").GetProperty("status").GetString());
        var garbledReport = await mlops.Service<IArtifactStore>().GetJsonAsync<JsonElement>(ArtifactKeys.Validation(garbled.GetProperty("run").GetProperty("runId").GetGuid()), default);
        var failed = garbledReport.GetProperty("results").EnumerateArray().Single(r => !r.GetProperty("success").GetBoolean());
        Assert.Equal("expect_column_values_to_be_dateutil_parseable", failed.GetProperty("expectationType").GetString());
        Assert.Contains("Column 'placed_at' is a timestamp", failed.GetProperty("message").GetString());
        Assert.Contains("soon-03-0", failed.ToString());
    }

    /// <summary>Orders: returned mostly on weekend nights; the rest of the columns carry a little signal or none.</summary>
    internal static string Orders(int rows, int seed)
    {
        var random = new Random(seed);
        string[] channels = ["web", "app", "store"];
        var start = new DateTime(2024, 1, 1);
        var csv = new StringBuilder("order_id,placed_at,channel,items,price,gift,returned\n");
        for (var i = 0; i < rows; i++)
        {
            var at = start.AddMinutes(random.Next(0, 365 * 24 * 60));
            var channel = random.Next(3);
            var items = 1 + random.Next(6);
            var price = 5 + random.NextDouble() * 95;
            var gift = random.Next(5) == 0;
            var p = 0.08 + (at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.45 : 0) + (at.Hour >= 20 ? 0.3 : 0) + (channel == 0 ? 0.05 : 0) + (gift ? 0.05 : 0);
            var placed = i % 40 == 3 ? "" : at.ToString(i % 2 == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            csv.Append(CultureInfo.InvariantCulture, $"ORD-{100000 + i},{placed},{channels[channel]},{items},{price:F2},{(gift ? "true" : "false")},{(random.NextDouble() < p ? "yes" : "no")}\n");
        }
        return csv.ToString();
    }
}
