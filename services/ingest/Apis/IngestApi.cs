using MlOps.ServiceDefaults;
using System.Text.Json;
using System.Globalization;
using MassTransit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Ingest;

public record UploadAccepted(Guid RunId, string Pipeline, string DatasetKey, string DatasetSha256, long Bytes, string Run, string? ConvertedFrom = null);
public record RetrainBody(string? Reason);
public record RetrainAccepted(Guid RunId, string Pipeline, string Run);

public static class IngestApi
{
    public static RouteGroupBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/pipelines").WithTags("Ingest").ValidatePipelineNames();
        group.MapGet("/{pipeline}", GetSpec);
        group.MapPut("/{pipeline}", PutSpec).Requires(Roles.Author).RequireRateLimiting("Specs");
        group.MapPost("/{pipeline}/datasets", Upload).DisableAntiforgery().Requires(Roles.Author).RequireRateLimiting("Uploads");
        group.MapPost("/{pipeline}/retrain", Retrain).Requires(Roles.Author).RequireRateLimiting("Retrain");
        return group;
    }

    static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";

    public static async Task<Results<Ok<PipelineSpec>, ProblemHttpResult>> GetSpec(string pipeline, PipelineCatalog catalog, CancellationToken ct) =>
        TypedResults.Ok(await catalog.GetAsync(pipeline, ct));

    const int MaxSpecBytes = 1 << 20;

    static ProblemHttpResult SpecTooLarge() => Problem(413, "The pipeline spec is too large",
        $"A spec is at most {MaxSpecBytes:N0} bytes, JSON or YAML. Long lists (expectation values, categories) belong in the data, not the spec.");

    public static async Task<Results<Ok<PipelineSpec>, ValidationProblem, ProblemHttpResult>> PutSpec(
        string pipeline, HttpRequest request, PipelineCatalog catalog, CancellationToken ct)
    {
        // A spec is small: 1 MiB at most, JSON or YAML (the limit keeps a hostile one from filling memory, and every run keeps a copy).
        if (request.ContentLength > MaxSpecBytes) return SpecTooLarge();
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = MaxSpecBytes;
        PipelineSpec? spec;
        if (SpecYaml.IsYaml(request.ContentType))
        {
            // YAML: read whole, then as the JSON it stands for.
            const int limit = MaxSpecBytes;
            var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > limit) return SpecTooLarge();
            }
            try
            {
                spec = SpecYaml.ToJson(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length))?.Deserialize<PipelineSpec>(ArtifactStoreJson.Incoming);
            }
            catch (System.Text.Json.JsonException e) when (UnknownKey(e) is { } key)
            {
                return Problem(400, "The pipeline spec has a key it does not know", key);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidDataException or System.Text.Json.JsonException or InvalidOperationException)
            {
                return Problem(400, "The pipeline spec is not valid YAML for a spec", $"{e.Message} Send a YAML mapping such as 'target: label' with 'trainer: {{name: LightGbm}}'.");
            }
        }
        else
        {
            try
            {
                spec = await System.Text.Json.JsonSerializer.DeserializeAsync<PipelineSpec>(request.Body, ArtifactStoreJson.Incoming, ct);
            }
            catch (System.Text.Json.JsonException e) when (UnknownKey(e) is { } key)
            {
                return Problem(400, "The pipeline spec has a key it does not know", key);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return SpecTooLarge();
            }
            catch (System.Text.Json.JsonException e)
            {
                return Problem(400, "The pipeline spec is not valid JSON", $"{e.Message} Send a JSON object such as {{\"target\": \"label\", \"trainer\": {{\"name\": \"LightGbm\"}}}}, or YAML with Content-Type application/yaml.");
            }
        }
        if (spec is null) return Problem(400, "Empty pipeline spec", "Send the spec as a JSON object (or YAML with Content-Type application/yaml).");
        var errors = await catalog.SaveAsync(pipeline, spec, ct);
        if (errors is not null) return TypedResults.ValidationProblem(errors, title: "The pipeline spec is invalid");
        return TypedResults.Ok(await catalog.GetAsync(pipeline, ct));
    }

    /// <summary>A key the spec does not have (ArtifactStoreJson.Incoming refuses them), said with where it is and what to do.</summary>
    static string? UnknownKey(System.Text.Json.JsonException e) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"'{e.Path}' is not part of a pipeline spec: check its spelling and level against docs/spec.md (a misspelt key would leave that setting at its default)."
            : null;

    public static async Task<Results<Accepted<RetrainAccepted>, ProblemHttpResult>> Retrain(
        string pipeline, RetrainBody? body, HttpContext http, IArtifactStore store, IPublishEndpoint publish, CancellationToken ct)
    {
        // Nothing to retrain on: say so now, rather than record a run that can only fail.
        if (await store.TryGetJsonAsync<LatestAccepted>(ArtifactKeys.LatestAccepted(pipeline), ct) is null)
            return Problem(409, "Nothing to retrain on", $"Pipeline '{pipeline}' has no accepted dataset yet: upload one first (POST /pipelines/{pipeline}/datasets); " +
                "a retrain runs on the newest accepted dataset plus the labelled production rows.");
        var runId = NewId.NextGuid();
        await publish.Publish(new RetrainRequested(runId, pipeline, Trigger.Manual, body?.Reason ?? "requested through the API", null, Actor.Of(http.User)), ct);
        return TypedResults.Accepted($"/runs/{runId:N}", new RetrainAccepted(runId, pipeline, $"/runs/{runId:N}"));
    }

    /// <summary>
    /// Takes a CSV or a Parquet file as the raw request body (or the first file of a multipart form), streams it to disk while
    /// hashing it, converts Parquet to CSV (<see cref="ParquetToCsv"/>), checks what can be seen at once (empty, binary, no
    /// header, no target column) and starts a run.
    /// </summary>
    public static async Task<Results<Accepted<UploadAccepted>, ProblemHttpResult>> Upload(
        string pipeline, HttpContext http, PipelineCatalog catalog, RunStarter runs, IPublishEndpoint publish,
        IOptions<IngestOptions> options, CancellationToken ct)
    {
        var limit = options.Value.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (http.Request.ContentLength > limit)
            return Problem(413, "Upload too large", $"The upload is {http.Request.ContentLength} bytes; the limit is {limit} (Ingest:MaxUploadBytes).");

        Stream? body;
        var form = MultipartType(http.Request);
        try
        {
            body = await BodyOf(http.Request, form, ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return MalformedForm(e);
        }
        if (body is null)
            return Problem(400, "No file in the form", "The multipart form holds no file part: send the CSV as a file field, or as the raw request body.");

        await using var file = SpoolFile();
        string sha256;
        long bytes;
        await using (var spooled = new HashingStream(file, limit))
        {
            try
            {
                await body.CopyToAsync(spooled, 1 << 16, ct);
            }
            catch (Exception e) when (e is LimitExceededException or BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return Problem(413, "Upload too large", $"The upload passed the limit of {limit} bytes (Ingest:MaxUploadBytes).");
            }
            catch (Exception e) when (e is InvalidDataException or IOException && form is not null) // a multipart file part that never ends (no closing boundary)
            {
                return MalformedForm(e);
            }
            (sha256, bytes) = (spooled.Sha256(), spooled.Written);
        }

        if (bytes == 0)
            return Problem(400, "Empty upload", "The upload is empty: send the CSV bytes as the request body, e.g. curl --data-binary @data.csv.");

        // A Parquet file becomes the CSV the stages read; the file itself is kept beside it.
        Stream dataset = file;
        await using var converted = await ParquetToCsv.IsParquetAsync(file, ct) ? SpoolFile() : null;
        await using var canonical = converted is null ? SpoolFile() : null;
        RunStarter.UploadedSource? source = null;
        if (converted is not null)
        {
            await using var csv = new HashingStream(converted, limit);
            try
            {
                await ParquetToCsv.ConvertAsync(file, csv, options.Value.MaxParquetRowGroupCells, ct);
            }
            catch (ParquetRefusedException e)
            {
                return Problem(e.Status, e.Title, e.Message);
            }
            catch (LimitExceededException)
            {
                return Problem(413, "Upload too large", $"The CSV made from the Parquet file passed the upload limit of {limit} bytes (Ingest:MaxUploadBytes).");
            }
            source = new RunStarter.UploadedSource("parquet", "application/vnd.apache.parquet", file, sha256, bytes);
            (dataset, sha256, bytes) = (converted, csv.Sha256(), csv.Written);
        }

        // Delimited text in another dialect (semicolons, tabs, pipes, decimal commas, a BOM) becomes the canonical CSV the
        // same way; the upload is kept beside it, and a file whose rows do not agree with its header is refused here.
        var detected = "Parquet";
        if (converted is null)
        {
            CsvDialect dialect;
            try
            {
                var head = new byte[Math.Min(file.Length, 64 * 1024)];
                file.Position = 0;
                await file.ReadExactlyAsync(head, ct);
                dialect = CsvDialect.Sniff(head);
            }
            catch (DialectRefusedException e)
            {
                return Problem(422, "Rows do not match the header", e.Message);
            }
            detected = dialect.Description;
            if (!dialect.IsCanonical)
            {
                await using var csv = new HashingStream(canonical!, limit);
                try
                {
                    file.Position = 0;
                    await dialect.ConvertAsync(file, csv, ct);
                }
                catch (LimitExceededException)
                {
                    return Problem(413, "Upload too large", $"The CSV made from the {dialect.Description} file passed the upload limit of {limit} bytes (Ingest:MaxUploadBytes).");
                }
                source = new RunStarter.UploadedSource(dialect.Format, "text/csv", file, sha256, bytes);
                (dataset, sha256, bytes) = (canonical!, csv.Sha256(), csv.Written);
            }
        }

        dataset.Position = 0;
        var spec = await catalog.GetAsync(pipeline, ct);
        if (await FirstLookProblem(dataset, spec, options.Value.MaxColumns) is { } problem) return problem;

        dataset.Position = 0;
        var runId = NewId.NextGuid();
        var manifest = await runs.StartAsync(new RunStarter.RunStart(pipeline, runId, spec, Trigger.Upload, "dataset uploaded", Actor.Of(http.User), Source: source, Fresh: true),
            dataset, sha256, bytes, publish, ct);
        var location = $"/runs/{runId:N}";
        return TypedResults.Accepted(location, new UploadAccepted(runId, pipeline, manifest.DatasetKey, sha256, bytes, location, source is null ? null : detected));
    }

    /// <summary>A multipart body that cannot be read: no closing boundary, a part header over 16 KiB, a stream cut short.</summary>
    static ProblemHttpResult MalformedForm(Exception e) => Problem(400, "Malformed multipart form",
        $"The multipart body could not be read ({e.Message}). Send the file as a complete multipart/form-data body (curl -F file=@data.csv), or as the raw request body (curl --data-binary @data.csv).");

    /// <summary>A temporary file that is gone when closed.</summary>
    static FileStream SpoolFile() => new(Path.Combine(Path.GetTempPath(), $"mlops-upload-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite,
        FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);

    /// <summary>The request's content type when it is a multipart form, else null.</summary>
    static MediaTypeHeaderValue? MultipartType(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ? type : null;

    /// <summary>The upload's bytes: the body itself, or the first file part of a multipart form (<paramref name="form"/>).</summary>
    static async Task<Stream?> BodyOf(HttpRequest request, MediaTypeHeaderValue? form, CancellationToken ct)
    {
        if (form is null) return request.Body;
        var boundary = HeaderUtilities.RemoveQuotes(form.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) return null;
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                return section.Body;
        }
        return null;
    }

    /// <summary>What is wrong at a glance: binary content, no header row, no target column. The rest is validate's job.</summary>
    static async Task<ProblemHttpResult?> FirstLookProblem(Stream file, PipelineSpec spec, int maxColumns)
    {
        var head = new byte[Math.Min(file.Length, 64 * 1024)];
        await file.ReadExactlyAsync(head);
        if (Array.IndexOf(head, (byte)0) >= 0)
            return Problem(415, "Not a CSV file", "The upload contains NUL bytes, so it is binary, not CSV text. Send a comma-separated text file with a header row.");
        file.Position = 0;

        string[] columns;
        try
        {
            columns = CsvHeader.Read(new StreamReader(file, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true));
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException)
        {
            return Problem(422, "Unreadable header", $"The first line could not be read as a CSV header: {e.Message}");
        }
        if (columns.Length > maxColumns)
            return Problem(422, "Too many columns",
                $"The header names {columns.Length:N0} columns; MlOps takes at most {maxColumns:N0} (Ingest:MaxColumns), so that validating and training stay " +
                "within their memory budgets. Drop the columns the model does not need before uploading, or ask an operator to raise the limit.");
        if (columns.Length == 0 || columns.All(string.IsNullOrWhiteSpace))
            return Problem(422, "No header", "The first line is empty: the CSV needs a header row naming its columns.");
        if (CsvHeader.LooksLikeData(columns))
            return Problem(422, "No header", $"The first line ({Truncate(string.Join(",", columns))}) looks like data: the CSV needs a header row naming its columns.");
        var target = spec.Target ?? columns[^1];
        if (!columns.Contains(target))
            return Problem(422, "Target column missing",
                $"The header has no target column '{target}'. Columns: {Truncate(string.Join(", ", columns))}. Set the pipeline's target with PUT /pipelines/{spec.Name}.");
        return null;
    }
}
