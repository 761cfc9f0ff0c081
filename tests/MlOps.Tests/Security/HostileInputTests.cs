using System.Diagnostics;
using System.Net;
using System.Text;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Tests;

/// <summary>
/// One embedded app with a served model, shared by every case of the hostile-input suite (issue 17 item 6).
/// </summary>
public sealed class HostileApp : IAsyncLifetime
{
    public static readonly Dictionary<string, string> Keys = Roles.All.ToDictionary(r => r, r => $"hostile-{r}-{Guid.NewGuid():N}");
    public EmbeddedApp Mlops { get; private set; } = null!;
    public Guid ServedRun { get; private set; }

    public async Task InitializeAsync()
    {
        Mlops = await EmbeddedApp.StartAsync(Keys.SelectMany(k => new KeyValuePair<string, string?>[] { new($"Auth:ApiKeys:{k.Key}:Key", k.Value), new($"Auth:ApiKeys:{k.Key}:Roles", k.Key) })
            .Append(new("RateLimits:Specs:PermitsPerMinute", "100000")).Append(new("RateLimits:Uploads:PermitsPerMinute", "100000")).ToDictionary());
        await PipelineCalls.PutWalkthroughSpecAsync(Mlops.Client, "served");
        // Uploads go to a pipeline whose spec no case changes.
        await PipelineCalls.PutSpecAsync(Mlops.Client, "uploads", """{"target":"target"}""");
        ServedRun = await PipelineCalls.UploadAsync(Mlops.Client, "served", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(Mlops.Client, ServedRun, TimeSpan.FromSeconds(120))).GetProperty("run").GetProperty("status").GetString());
    }

    public async Task DisposeAsync() => await Mlops.DisposeAsync();
}

/// <summary>
/// The hostile-input suite: what an attacker and a careless user send, against the running embedded app, across uploads,
/// names, specs, inference, feedback, registry commands, pages and authentication. Each case asserts its status (a
/// ProblemDetails for every refusal), that it created no run and no model version where it should not, that the app still
/// answers /health, and that the process stayed under a memory bound.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class HostileInputTests(HostileApp app) : IClassFixture<HostileApp>
{
    /// <summary>The process (test host and app together) stays under this after every case.</summary>
    const long MemoryBound = 3L << 30;

    sealed record Case(Func<HostileApp, HttpRequestMessage> Request, int[] Statuses, bool MayStartRun = false, bool ProblemBody = true);

    static HttpRequestMessage Send(HttpMethod method, string path, HttpContent? content = null, string? role = Roles.Admin) =>
        TestInfra.Request(method, path, key: role is null ? null : HostileApp.Keys[role], content: content);

    static HttpContent Text(string body, string type = "text/csv") => new StringContent(body, Encoding.UTF8, type);
    static HttpContent Json(string body) => Text(body, "application/json");
    static HttpContent Bytes(byte[] body, string type = "text/csv") => new ByteArrayContent(body) { Headers = { ContentType = new(type) } };
    static HttpContent Multipart(string raw, string boundary = "XyZ") =>
        new ByteArrayContent(Encoding.UTF8.GetBytes(raw)) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}") } };
    static string Spec(string json) => json;
    static string Regex(string pattern) => """{"target":"target","validation":{"expectations":[{"expectation":"expect_column_values_to_match_regex","column":"f0","regex":"""
        + System.Text.Json.JsonSerializer.Serialize(pattern) + "}]}}";
    static string Infer(string inputs) => $$"""{"inputs":[{{inputs}}]}""";
    static readonly string Row = """{"name":"Features","shape":[1,10],"datatype":"FP32","data":[1,1,1,1,1,1,1,1,1,1]}""";

    static readonly Dictionary<string, Case> Catalog = new()
    {
        // Uploads: empty, binary, headerless, no target, ragged, huge lines, hostile content, bad multipart.
        ["upload: empty body"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("")), [400]),
        ["upload: binary bytes"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Bytes([0, 1, 2, 3, 0, 255, 254])), [415]),
        ["upload: a gzip file"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Bytes([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0, 0], "application/gzip")), [415]),
        ["upload: numbers with no header"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("1.0,2.0,0\n3.0,4.0,1\n")), [422]),
        ["upload: no target column"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("a,b,c\n1,2,3\n")), [422]),
        ["upload: only a header"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("f0,f1,target\n")), [202], MayStartRun: true),
        ["upload: a 2 MB line without newline"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text(new string('a', 2_000_000))), [400, 413, 422]),
        ["upload: HTML instead of CSV"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("<html><script>alert(1)</script></html>", "text/html")), [400, 415, 422]),
        ["upload: JSON instead of CSV"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Json("""{"f0":1,"target":0}""")), [400, 415, 422]),
        ["upload: a UTF-16 file"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Bytes(Encoding.Unicode.GetBytes("f0,target\n1,0\n"))), [415, 422]),
        ["upload: multipart without closing boundary"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets",
            Multipart("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nf0,target\n1,0\n")), [400]),
        ["upload: multipart with a 20 KB part header"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets",
            Multipart($"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{new string('a', 20_000)}.csv\"\r\n\r\nf0,target\n1,0\n\r\n--XyZ--\r\n")), [400]),
        ["upload: multipart with no file part"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets",
            Multipart("--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ--\r\n")), [400]),
        ["upload: multipart without a boundary"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets",
            new ByteArrayContent("f0,target\n1,0\n"u8.ToArray()) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data") } }), [400]),
        ["upload: a quote that never closes"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("f0,target\n\"1,0\n2,1\n")), [202, 400, 422], MayStartRun: true),

        // Names: traversal, case, length, encodings, reserved.
        ["name: ../etc"] = new(_ => Send(HttpMethod.Post, "/pipelines/..%2Fetc/datasets", Text("f0,target\n1,0\n")), [400, 404]),
        ["name: upper case"] = new(_ => Send(HttpMethod.Post, "/pipelines/UPPER/datasets", Text("f0,target\n1,0\n")), [400]),
        ["name: underscore"] = new(_ => Send(HttpMethod.Post, "/pipelines/a_b/datasets", Text("f0,target\n1,0\n")), [400]),
        ["name: 200 characters"] = new(_ => Send(HttpMethod.Put, $"/pipelines/{new string('a', 200)}", Json("{}")), [400]),
        // Refused by Kestrel itself, before any of MlOps runs: a status line and no body.
        ["name: percent-encoded NUL"] = new(_ => Send(HttpMethod.Put, "/pipelines/a%00b", Json("{}")), [400], ProblemBody: false),
        ["name: unicode look-alike"] = new(_ => Send(HttpMethod.Put, "/pipelines/p\u0430yments", Json("{}")), [400]),
        ["name: script tag"] = new(_ => Send(HttpMethod.Put, "/pipelines/%3Cscript%3E", Json("{}")), [400]),
        ["name: SQL"] = new(_ => Send(HttpMethod.Get, "/runs?pipeline=x'%20OR%20'1'='1"), [400]),
        ["name: a dot"] = new(_ => Send(HttpMethod.Put, "/pipelines/.", Json("{}")), [400, 404, 405]),
        ["name: a leading dash"] = new(_ => Send(HttpMethod.Put, "/pipelines/-x", Json("{}")), [400]),

        // Specs: malformed, unknown keys, deep, huge, hostile regexes, impossible values, webhooks.
        ["spec: not JSON"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("{target: ")), [400]),
        ["spec: a JSON array"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("[1,2,3]")), [400]),
        ["spec: JSON null"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("null")), [400]),
        ["spec: an unknown key"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","trainr":{}}""")), [400]),
        ["spec: 1,000 levels deep"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000))), [400]),
        ["spec: 20 MB of JSON"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json($$"""{"target":"target","description":"{{new string('x', 20_000_000)}}"}""")), [413]),
        ["spec: 2 MB of JSON without a length"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile",
            new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"target":"target","x":"{{new string('x', 2_000_000)}}"}"""))) { Headers = { ContentType = new("application/json") } }), [413]),
        ["spec: 2 MB of YAML"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Text("target: target\nx: " + new string('x', 2_000_000), "application/yaml")), [413]),
        ["spec: YAML billion laughs"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Text("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n", "application/yaml")), [400]),
        ["spec: YAML that is not a mapping"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Text("- a\n- b\n", "application/yaml")), [400]),
        ["spec: regex with a back-reference"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex(@"(a)\1"))), [400]),
        ["spec: regex with a lookahead"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex("a(?=b)"))), [400]),
        ["spec: regex with a lookbehind"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex("(?<=a)b"))), [400]),
        ["spec: regex with an atomic group"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex("(?>a+)b"))), [400]),
        ["spec: regex that does not compile"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex("(unclosed"))), [400]),
        ["spec: catastrophic regex (accepted, linear)"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile-regex", Json(Regex("^(a+)+$"))), [200]),
        ["spec: a 5,000-character regex"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json(Regex(new string('a', 5000)))), [400]),
        ["spec: a million trees of a million leaves"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile",
            Json("""{"target":"target","trainer":{"name":"FastTree","hyperparameters":{"numberOfTrees":1000000,"numberOfLeaves":1000000}}}""")), [400]),
        ["spec: an unknown trainer"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","trainer":{"name":"rm -rf /"}}""")), [400]),
        ["spec: a negative test fraction"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","trainer":{"testFraction":-1}}""")), [400]),
        ["spec: a webhook to loopback"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","alerts":{"webhooks":["http://127.0.0.1:9/x"],"on":["failed"]}}""")), [400]),
        ["spec: a webhook to the metadata service"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","alerts":{"webhooks":["http://169.254.169.254/latest/meta-data/"],"on":["failed"]}}""")), [400]),
        ["spec: a file:// webhook"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target","alerts":{"webhooks":["file:///etc/passwd"],"on":["failed"]}}""")), [400]),
        ["spec: a target with a path in it"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile-target", Json("""{"target":"../../etc/passwd"}""")), [200, 400]),
        ["spec: a wrong content type"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile-type", Text("""{"target":"target"}""", "text/plain")), [200, 400, 415]),

        // Inference: malformed, wrong shapes and types, unknown models and versions, huge and hostile bodies.
        ["infer: not JSON"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json("{inputs"), Roles.Predictor), [400]),
        ["infer: empty body"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(""), Roles.Predictor), [400]),
        ["infer: no inputs"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json("""{"inputs":[]}"""), Roles.Predictor), [400]),
        ["infer: a shape that lies"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[2,10],"datatype":"FP32","data":[1,2,3]}""")), Roles.Predictor), [400]),
        ["infer: a negative shape"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[-1,10],"datatype":"FP32","data":[]}""")), Roles.Predictor), [400]),
        ["infer: a shape of 10^12 rows"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[1000000000000,10],"datatype":"FP32","data":[1]}""")), Roles.Predictor), [400]),
        ["infer: text for numbers"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[1,10],"datatype":"FP32","data":["a","b","c","d","e","f","g","h","i","j"]}""")), Roles.Predictor), [400]),
        ["infer: an unknown datatype"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[1,10],"datatype":"FP128","data":[1,1,1,1,1,1,1,1,1,1]}""")), Roles.Predictor), [400]),
        ["infer: the same input twice"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer(Row + "," + Row)), Roles.Predictor), [400]),
        ["infer: a number too large for FP32"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer("""{"name":"Features","shape":[1,10],"datatype":"FP32","data":[1e300,1,1,1,1,1,1,1,1,1]}""")), Roles.Predictor), [400]),
        ["infer: an unknown model"] = new(_ => Send(HttpMethod.Post, "/v2/models/nobody/infer", Json(Infer(Row)), Roles.Predictor), [404]),
        ["infer: an unknown version"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/versions/99/infer", Json(Infer(Row)), Roles.Predictor), [404]),
        ["infer: a version that is not a number"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/versions/..%2F..%2Fx/infer", Json(Infer(Row)), Roles.Predictor), [400, 404]),
        ["infer: 20 MB body"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer($$"""{"name":"Features","shape":[1,10],"datatype":"FP32","data":[{{string.Join(",", Enumerable.Repeat("1.0", 5_000_000))}}]}""")), Roles.Predictor), [413]),
        ["infer: 10,000 inputs"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer(string.Join(",", Enumerable.Repeat(Row, 10_000)))), Roles.Predictor), [400]),
        ["infer: JSON 500 levels deep"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(string.Concat(Enumerable.Repeat("[", 500)) + new string(']', 500)), Roles.Predictor), [400]),
        ["infer: a well-formed request (control)"] = new(_ => Send(HttpMethod.Post, "/v2/models/served/infer", Json(Infer(Row)), Roles.Predictor), [200], ProblemBody: false),

        // Feedback: malformed, bogus IDs, too many, labels of the wrong kind.
        ["feedback: not JSON"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json("{items"), Roles.Labeler), [400]),
        ["feedback: no items"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json("""{"items":[]}"""), Roles.Labeler), [400]),
        ["feedback: 10,001 items"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json($$"""{"items":[{{string.Join(",", Enumerable.Repeat("""{"predictionId":"x","label":1}""", 10_001))}}]}"""), Roles.Labeler), [400, 413]),
        ["feedback: bogus prediction IDs"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json("""{"items":[{"predictionId":"not-a-prediction","label":1},{"predictionId":"../../x","label":0}]}"""), Roles.Labeler), [422], ProblemBody: false),
        ["feedback: a label that is an object"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json("""{"items":[{"predictionId":"x","label":{"$where":"1"}}]}"""), Roles.Labeler), [400, 422], ProblemBody: false),
        ["feedback: an unknown pipeline"] = new(_ => Send(HttpMethod.Post, "/monitor/nobody/feedback", Json("""{"items":[{"predictionId":"x","label":1}]}"""), Roles.Labeler), [404, 422], ProblemBody: false),
        ["feedback: a bad pipeline name"] = new(_ => Send(HttpMethod.Post, "/monitor/BAD/feedback", Json("""{"items":[{"predictionId":"x","label":1}]}"""), Roles.Labeler), [400]),

        // Registry commands: no reason, huge reason, unknown versions and aliases, bad tags, bad times.
        ["command: rollback without a reason"] = new(_ => Send(HttpMethod.Post, "/models/served/rollback", Json("{}"), Roles.Approver), [400]),
        ["command: rollback with a 1 MB reason"] = new(_ => Send(HttpMethod.Post, "/models/served/rollback", Json($$"""{"reason":"{{new string('x', 1_000_000)}}"}"""), Roles.Approver), [400]),
        ["command: rollback with nothing before"] = new(_ => Send(HttpMethod.Post, "/models/served/rollback", Json("""{"reason":"test"}"""), Roles.Approver), [409]),
        ["command: retire an unknown pipeline"] = new(_ => Send(HttpMethod.Post, "/models/nobody/retire", Json("""{"reason":"test"}"""), Roles.Approver), [404]),
        ["command: approve an unknown version"] = new(_ => Send(HttpMethod.Post, "/models/served/versions/99/approve", Json("""{"reason":"test"}"""), Roles.Approver), [404]),
        ["command: approve an approved version"] = new(_ => Send(HttpMethod.Post, "/models/served/versions/1/approve", Json("""{"reason":"test"}"""), Roles.Approver), [409]),
        ["command: an alias with a slash"] = new(_ => Send(HttpMethod.Put, "/models/served/aliases/a%2Fb", Json("""{"version":1,"reason":"x"}"""), Roles.Approver), [400, 404]),
        ["command: an alias to a missing version"] = new(_ => Send(HttpMethod.Put, "/models/served/aliases/challenger", Json("""{"version":42,"reason":"x"}"""), Roles.Approver), [404]),
        ["command: 51 tags"] = new(_ => Send(HttpMethod.Put, "/models/served/versions/1/tags", Json("{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"t{i}\":\"v\"")) + "}"), Roles.Approver), [400]),
        ["command: tags that are not strings"] = new(_ => Send(HttpMethod.Put, "/models/served/versions/1/tags", Json("""{"a":{"b":1}}"""), Roles.Approver), [400]),
        ["command: served at a time that is not one"] = new(_ => Send(HttpMethod.Get, "/models/served/served?at=yesterday"), [400]),
        ["command: retrain with nothing to retrain on"] = new(_ => Send(HttpMethod.Post, "/pipelines/never-uploaded/retrain", Json("""{"reason":"x"}"""), Roles.Author), [409]),

        // Pages and reads: unknown IDs, hostile IDs and filters.
        ["page: an unknown run"] = new(_ => Send(HttpMethod.Get, $"/runs/{Guid.NewGuid():N}/html"), [404]),
        ["page: a run ID that is not one"] = new(_ => Send(HttpMethod.Get, "/runs/..%2F..%2Fetc%2Fpasswd"), [400, 404]),
        ["page: a validation report of nothing"] = new(_ => Send(HttpMethod.Get, $"/validation/{Guid.NewGuid():N}/html"), [404]),
        ["page: the console of a script tag"] = new(_ => Send(HttpMethod.Get, "/console/%3Cscript%3Ealert(1)%3C%2Fscript%3E"), [400, 404]),
        ["page: a lineage of a forged prediction ID"] = new(_ => Send(HttpMethod.Get, "/lineage/predictions/'%20OR%201=1"), [400, 404]),
        ["page: runs with a limit of a billion"] = new(_ => Send(HttpMethod.Get, "/runs?limit=1000000000"), [400]),
        ["page: runs with an unknown status"] = new(_ => Send(HttpMethod.Get, "/runs?status=%3Cscript%3E"), [400]),
        ["page: compare one run"] = new(_ => Send(HttpMethod.Get, $"/runs/compare?ids={Guid.NewGuid():N}"), [400]),
        ["page: compare fifty runs"] = new(_ => Send(HttpMethod.Get, $"/runs/compare?ids={string.Join(",", Enumerable.Range(0, 50).Select(_ => Guid.NewGuid().ToString("N")))}"), [400]),
        ["page: a path that does not exist"] = new(_ => Send(HttpMethod.Get, "/wp-admin/setup.php"), [404]),
        ["page: a method that does not exist"] = new(_ => Send(HttpMethod.Delete, "/pipelines/served"), [405]),

        // Authentication: none, wrong, malformed, forged, the wrong role, the login page.
        ["auth: no credentials"] = new(_ => Send(HttpMethod.Get, "/runs", role: null), [401]),
        ["auth: an unknown key"] = new(_ =>
        {
            var request = Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("f0,target\n1,0\n"), role: null);
            request.Headers.Add(ApiKeys.Header, "mlops_0000000000000000000000000000000000000000000000000000000000000000");
            return request;
        }, [401]),
        ["auth: a 100 KB key"] = new(_ =>
        {
            var request = Send(HttpMethod.Get, "/runs", role: null);
            request.Headers.Add(ApiKeys.Header, new string('k', 100_000));
            return request;
        }, [431], ProblemBody: false), // Kestrel's header limit (32 KB), before any of MlOps runs
        ["auth: a bearer token that is not a JWT"] = new(_ =>
        {
            var request = Send(HttpMethod.Get, "/runs", role: null);
            request.Headers.Authorization = new("Bearer", "not.a.token");
            return request;
        }, [401]),
        ["auth: an unsigned JWT (alg none)"] = new(_ =>
        {
            var request = Send(HttpMethod.Get, "/runs", role: null);
            request.Headers.Authorization = new("Bearer", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZXMiOlsiYWRtaW4iXX0.");
            return request;
        }, [401]),
        ["auth: a key in the query string"] = new(_ => Send(HttpMethod.Get, $"/runs?api_key={HostileApp.Keys[Roles.Admin]}", role: null), [401]),
        ["auth: a viewer uploading"] = new(_ => Send(HttpMethod.Post, "/pipelines/uploads/datasets", Text("f0,target\n1,0\n"), Roles.Viewer), [403]),
        ["auth: a predictor rolling back"] = new(_ => Send(HttpMethod.Post, "/models/served/rollback", Json("""{"reason":"x"}"""), Roles.Predictor), [403]),
        ["auth: a labeler writing a spec"] = new(_ => Send(HttpMethod.Put, "/pipelines/hostile", Json("""{"target":"target"}"""), Roles.Labeler), [403]),
        ["auth: an author giving feedback"] = new(_ => Send(HttpMethod.Post, "/monitor/served/feedback", Json("""{"items":[{"predictionId":"x","label":1}]}"""), Roles.Author), [403]),
        ["auth: a login with a wrong key"] = new(_ => Send(HttpMethod.Post, "/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "guess" }), role: null), [401], ProblemBody: false),
        ["auth: a login sending you elsewhere"] = new(_ => Send(HttpMethod.Post, "/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = HostileApp.Keys[Roles.Viewer], ["returnUrl"] = "//evil.example/" }), role: null), [200, 302], ProblemBody: false), // followed: it lands on the console
    };

    public static TheoryData<string> Cases => [.. Catalog.Keys];

    [Fact]
    public void TheSuiteHasEightyCasesOrMore() => Assert.True(Catalog.Count >= 80, $"{Catalog.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachHostileInputGetsItsAnswerAndChangesNothingItShouldNot(string name)
    {
        var @case = Catalog[name];
        var client = app.Mlops.Client;
        // The case's own credentials only (the app's client carries the admin key on every request).
        using var bare = new HttpClient { BaseAddress = client.BaseAddress };
        var runsBefore = (await client.GetFromJsonAsync<JsonElement>("/runs?limit=1000")).GetArrayLength();
        var versionsBefore = (await client.GetFromJsonAsync<JsonElement>("/models/served/versions")).GetArrayLength();

        using var request = @case.Request(app);
        using var response = await bare.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(@case.Statuses.Contains((int)response.StatusCode), $"{name}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 400)]}");
        if (@case.ProblemBody && (int)response.StatusCode >= 400 && (request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString).StartsWith("/v2/") && response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
        {
            // The Open Inference Protocol's own error shape, which its clients (Triton's, KServe's) read: {"error": "…"}.
            Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()), body);
        }
        else if (@case.ProblemBody && (int)response.StatusCode >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(body).RootElement.GetProperty("title").GetString()), body);
        }
        if (response.StatusCode == HttpStatusCode.Redirect) Assert.Equal("/console", response.Headers.Location?.OriginalString);

        if (!@case.MayStartRun)
            Assert.Equal(runsBefore, (await client.GetFromJsonAsync<JsonElement>("/runs?limit=1000")).GetArrayLength());
        Assert.Equal(versionsBefore, (await client.GetFromJsonAsync<JsonElement>("/models/served/versions")).GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        using var process = Process.GetCurrentProcess();
        Assert.True(process.WorkingSet64 < MemoryBound, $"{name}: the process holds {process.WorkingSet64 >> 20} MiB");
    }
}
