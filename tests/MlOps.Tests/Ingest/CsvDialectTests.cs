using MlOps.Ingest;

namespace MlOps.Tests;

/// <summary>
/// Delimited uploads in other dialects (issue 15): what the sniffer reads from a file's head, and, through the running app,
/// that a semicolon-delimited, decimal-comma export trains the very model its comma-separated twin trains.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class CsvDialectTests
{
    static CsvDialect Sniff(string text, bool bom = false) => CsvDialect.Sniff([.. (bom ? new byte[] { 0xEF, 0xBB, 0xBF } : []), .. Encoding.UTF8.GetBytes(text)]);

    [Theory]
    [InlineData("a,b,label\n1.5,2,x\n3.25,4,y\n", ',', false)]
    [InlineData("a;b;label\n1,5;2;x\n3,25;4;y\n", ';', true)]
    [InlineData("a;b;label\n1.5;2;x\n3.25;4;y\n", ';', false)]
    [InlineData("a;b;label\n1.234,5;2;x\n3,25;4;y\n", ';', true)]
    [InlineData("a\tb\tlabel\n1.5\t2\tx\n3.25\t4\ty\n", '\t', false)]
    [InlineData("a|b|label\n1.5|2|x\n3.25|4|y\n", '|', false)]
    [InlineData("name;note;label\n\"Smith; John\";\"a, b\";x\n\"Doe\";\"c\";y\n", ';', false)]   // delimiters inside quotes
    public void TheDelimiterAndDecimalCommaAreReadFromTheHead(string text, char delimiter, bool decimalComma)
    {
        var dialect = Sniff(text);
        Assert.Equal((delimiter, decimalComma), (dialect.Delimiter, dialect.DecimalComma));
        Assert.Equal(delimiter == ',' && !decimalComma, dialect.IsCanonical);
    }

    [Fact]
    public void ABomIsSeenAndAHeaderWhoseRowsDisagreeIsRefusedNamingTheDelimiter()
    {
        var bom = Sniff("a,b,label\n1,2,x\n", bom: true);
        Assert.True(bom.Bom);
        Assert.False(bom.IsCanonical);
        Assert.Contains("byte-order mark", bom.Description);

        var refused = Assert.Throws<DialectRefusedException>(() => Sniff("a;b;c;label\n1;2\n3;4;5;6;7;8\n9\n"));
        Assert.Contains("semicolon", refused.Message);
        Assert.Contains("not consistently semicolon-delimited", refused.Message);
        Assert.True(Sniff("label\nx\ny\n").IsCanonical); // a real one-column file is what it is (validation judges it)
    }

    [Fact]
    public async Task ConversionWritesCanonicalCsvQuotingWhatNeedsIt()
    {
        var dialect = Sniff("name;amount;label\n\"Smith, J\";1.234,5;x\nDoe;-0,25;\"say \"\"hi\"\"\"\n");
        Assert.True(dialect.DecimalComma);
        var output = new MemoryStream();
        var rows = await dialect.ConvertAsync(new MemoryStream(Encoding.UTF8.GetBytes("name;amount;label\n\"Smith, J\";1.234,5;x\nDoe;-0,25;\"say \"\"hi\"\"\"\n")), output, default);
        Assert.Equal(2, rows);
        Assert.Equal("name,amount,label\n\"Smith, J\",1234.5,x\nDoe,-0.25,\"say \"\"hi\"\"\"\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    /// <summary>
    /// A table written twice by the test, as CSV and as a European export (semicolons, decimal commas, a BOM): both deploy
    /// with no spec, the export's stages read exactly the CSV twin's bytes (same dataset hash, same model hash), and the
    /// upload itself is kept and named by the manifest with what was detected.
    /// </summary>
    [Fact]
    public async Task ASemicolonDecimalCommaExportTrainsTheModelItsCommaTwinTrains()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var random = new Random(15);
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            double a = Math.Round(random.NextDouble() * 100, 2), b = Math.Round(random.NextDouble() * 10 - 5, 3);
            return (a, b, label: a / 25 + b > 2 ? "yes" : "no");
        }).ToList();
        string Cell(double v, bool comma) => comma ? v.ToString("0.###", CultureInfo.InvariantCulture).Replace('.', ',') : v.ToString("0.###", CultureInfo.InvariantCulture);
        var csv = "a,b,label\n" + string.Concat(rows.Select(r => $"{Cell(r.a, false)},{Cell(r.b, false)},{r.label}\n"));
        var export = "a;b;label\n" + string.Concat(rows.Select(r => $"{Cell(r.a, true)};{Cell(r.b, true)};{r.label}\n"));
        byte[] exportBytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(export)];

        async Task<(JsonElement Accepted, JsonElement Run)> Upload(string pipeline, byte[] body)
        {
            var response = await mlops.Client.PostAsync($"/pipelines/{pipeline}/datasets", new ByteArrayContent(body));
            var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, accepted.ToString());
            return (accepted, await PipelineCalls.WaitForRunAsync(mlops.Client, accepted.GetProperty("runId").GetGuid(), RunTimeout));
        }
        var (_, comma) = await Upload("comma-twin", Encoding.UTF8.GetBytes(csv));
        var (accepted, european) = await Upload("semicolon-twin", exportBytes);
        Assert.Equal("deployed", comma.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("deployed", european.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("semicolon-delimited, decimal commas, UTF-8 byte-order mark", accepted.GetProperty("convertedFrom").GetString());
        Assert.Equal(comma.GetProperty("run").GetProperty("datasetSha256").GetString(), european.GetProperty("run").GetProperty("datasetSha256").GetString());
        Assert.Equal(comma.GetProperty("version").GetProperty("modelSha256").GetString(), european.GetProperty("version").GetProperty("modelSha256").GetString());

        var manifest = await mlops.Service<IArtifactStore>().GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(european.GetProperty("run").GetProperty("runId").GetGuid()), default);
        Assert.Equal("ssv-decimal-comma", manifest.Source!.Format);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(exportBytes)), manifest.Source.Sha256);
        // A run's artifacts are read off its timeline, not listed: for a deployed run they are what the store holds under it,
        // the uploaded original included.
        foreach (var run in new[] { comma, european })
        {
            var runId = run.GetProperty("run").GetProperty("runId").GetGuid();
            Assert.Equal(await mlops.Service<IArtifactStore>().ListAsync(ArtifactKeys.Run(runId), default),
                run.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()!).ToList());
        }
        Assert.Contains(manifest.Source.Key, european.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()));

        // Rows that do not agree with their header: refused at the door, naming the delimiter; no run.
        var runsBefore = (await mlops.Service<IArtifactStore>().ListAsync("runs/", default)).Count;
        var ragged = await mlops.Client.PostAsync("/pipelines/ragged/datasets", new StringContent("a;b;label\n1;2\n3;4;5;6;7\n8\n9;1\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ragged.StatusCode);
        Assert.Contains("semicolon", await ragged.Content.ReadAsStringAsync());
        Assert.Equal(runsBefore, (await mlops.Service<IArtifactStore>().ListAsync("runs/", default)).Count);
    }
}
