using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;

namespace MlOps.Tests;

/// <summary>Parquet's column types as the CSV cells every later stage reads.</summary>
public class ParquetToCsvTests
{
    public sealed class Row
    {
        public string? Name { get; set; }
        public bool Flag { get; set; }
        public int Count { get; set; }
        public long Big { get; set; }
        public float Ratio { get; set; }
        public double? Score { get; set; }
        public decimal Price { get; set; }
        public DateTime At { get; set; }
    }

    [Fact]
    public async Task EachColumnTypeBecomesTextAStageCanReadAndNullsBecomeEmptyCells()
    {
        var rows = new[]
        {
            new Row { Name = "plain", Flag = true, Count = -3, Big = 1L << 40, Ratio = 0.1f, Score = 1.0 / 3, Price = 12.50m, At = new DateTime(2026, 11, 27, 18, 3, 4, DateTimeKind.Utc) },
            new Row { Name = "comma, \"quote\"\nline", Flag = false, Count = 0, Big = -1, Ratio = float.MaxValue, Score = null, Price = -0.01m, At = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new Row { Name = null, Score = 2.5 },
        };
        var parquet = new MemoryStream();
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, parquet);
        parquet.Position = 0;
        Assert.True(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(parquet, default));

        var csv = new MemoryStream();
        await using var hashing = new MlOps.Ingest.HashingStream(csv, 1 << 20);
        var count = await MlOps.Ingest.ParquetToCsv.ConvertAsync(parquet, hashing, 1 << 20, default);
        Assert.Equal(3, count);
        Assert.Equal(csv.Length, hashing.Written);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(csv.ToArray())), hashing.Sha256());
        var text = Encoding.UTF8.GetString(csv.ToArray());
        Assert.StartsWith("Name,Flag,Count,Big,Ratio,Score,Price,At\n", text.Replace("\r\n", "\n"));
        // Each row in its own place (a required column read as optional once shifted every value down a row).
        Assert.Contains("plain,true,-3,1099511627776,0.1,0.3333333333333333,12.5,2026-11-27T18:03:04.0000000", text);
        Assert.Contains("\"comma, \"\"quote\"\"\nline\",false,0,-1,3.4028235E+38,,-0.01,2000-01-01T00:00:00.0000000", text.Replace("\r\n", "\n"));
        Assert.Contains("\n,false,0,0,0,2.5,0,0001-01-01T00:00:00.0000000", text.Replace("\r\n", "\n")); // a null is an empty cell

        // Every number reads back as the value written (float and double alike).
        Assert.Equal(0.1f, float.Parse("0.1", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1.0 / 3, double.Parse("0.3333333333333333", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AFileThatOnlyLooksLikeParquetAtOneEndIsNotParquet()
    {
        Assert.False(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(new MemoryStream("PAR1,a,b\n1,2,3\n"u8.ToArray()), default));
        Assert.False(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(new MemoryStream("PAR1"u8.ToArray()), default));
    }
}
