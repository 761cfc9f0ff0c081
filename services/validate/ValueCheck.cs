using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// An expectation judged value by value during the single pass (Great Expectations' "map" expectations).
/// As in Great Expectations, nulls are not elements (except for not_null), and <c>mostly</c> is the share of
/// elements that must meet the expectation.
/// </summary>
public abstract class ValueCheck
{
    public long Elements { get; protected set; }
    public Tally Unexpected { get; } = new();

    public virtual void ObserveNull(int line) { }

    public void Observe(ReadOnlySpan<char> value, double? number, int line)
    {
        Elements++;
        if (!Meets(value, number)) Unexpected.Add(value, line);
    }

    protected abstract bool Meets(ReadOnlySpan<char> value, double? number);

    public bool Success(double mostly) => Elements == 0 || (double)(Elements - Unexpected.Count) / Elements >= mostly;

    public static ValueCheck? Create(ExpectationSpec e) => e.Expectation switch
    {
        "expect_column_values_to_not_be_null" => new NotNull(),
        "expect_column_values_to_be_between" => new Between(e.Min, e.Max),
        "expect_column_values_to_be_in_set" => new InSet(e.Values ?? []),
        "expect_column_values_to_be_unique" => new Unique(),
        "expect_column_values_to_match_regex" => new Matches(e.Regex ?? ""),
        "expect_column_values_to_be_of_type" => new OfType(e.Type ?? ColumnType.String),
        _ => null,
    };

    sealed class NotNull : ValueCheck
    {
        public override void ObserveNull(int line)
        {
            Elements++;
            Unexpected.Add(line);
        }

        protected override bool Meets(ReadOnlySpan<char> value, double? number) => true;
    }

    sealed class Between(double? min, double? max) : ValueCheck
    {
        protected override bool Meets(ReadOnlySpan<char> value, double? number) =>
            number is double x && double.IsFinite(x) && (min is null || x >= min) && (max is null || x <= max);
    }

    sealed class InSet(IEnumerable<string> values) : ValueCheck
    {
        readonly HashSet<string> _set = new(values, StringComparer.Ordinal);
        protected override bool Meets(ReadOnlySpan<char> value, double? number) => _set.GetAlternateLookup<ReadOnlySpan<char>>().Contains(value);
    }

    /// <summary>Keeps a 64-bit XxHash3 per distinct value (not the value), so a 10-million-row ID column costs about 200 MB, not gigabytes.</summary>
    sealed class Unique : ValueCheck
    {
        readonly HashSet<ulong> _seen = [];
        protected override bool Meets(ReadOnlySpan<char> value, double? number) => _seen.Add(XxHash3.HashToUInt64(MemoryMarshal.AsBytes(value)));
    }

    /// <summary>Searches (like Python's re.search, not anchored) with the non-backtracking engine: a hostile pattern cannot stall the pass.</summary>
    sealed class Matches(string pattern) : ValueCheck
    {
        readonly Regex _regex = new(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        protected override bool Meets(ReadOnlySpan<char> value, double? number) => _regex.IsMatch(value);
    }

    sealed class OfType(ColumnType type) : ValueCheck
    {
        protected override bool Meets(ReadOnlySpan<char> value, double? number) => type switch
        {
            ColumnType.Number => number is double x && double.IsFinite(x),
            ColumnType.Integer => number is double x && double.IsFinite(x) && x == Math.Floor(x),
            ColumnType.Boolean => value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase),
            _ => true,
        };
    }
}
