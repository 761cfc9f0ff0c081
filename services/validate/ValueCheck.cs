using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// An expectation judged value by value during the single pass (Great Expectations' "map" expectations).
/// As in Great Expectations, nulls are not elements (except for not_null), and <c>mostly</c> is the share of
/// elements that must meet the expectation. Each block of the file gets a <see cref="Fork"/>, merged back in file order.
/// </summary>
public abstract class ValueCheck
{
    public long Elements { get; protected set; }
    public Tally Unexpected { get; } = new();

    public virtual void ObserveNull(int line) { }

    public void Observe(ReadOnlySpan<char> value, double? number, int line)
    {
        Elements++;
        if (!Meets(value, number, line)) Unexpected.Add(value, line);
    }

    protected abstract bool Meets(ReadOnlySpan<char> value, double? number, int line);

    /// <summary>An empty check of the same kind for one block of the file.</summary>
    public abstract ValueCheck Fork();

    /// <summary>Adds a block's counts and examples, in file order.</summary>
    public virtual void Merge(ValueCheck part)
    {
        Elements += part.Elements;
        Unexpected.Merge(part.Unexpected);
    }

    public bool Success(double mostly) => Elements == 0 || (double)(Elements - Unexpected.Count) / Elements >= mostly;

    public static ValueCheck? Create(ExpectationSpec e) => e.Expectation switch
    {
        "expect_column_values_to_not_be_null" => new NotNull(),
        "expect_column_values_to_be_between" => new Between(e.Min, e.Max),
        "expect_column_values_to_be_in_set" => new InSet(new HashSet<string>(e.Values ?? [], StringComparer.Ordinal)),
        "expect_column_values_to_be_unique" => new Unique(),
        // Searches (like Python's re.search, not anchored) with the non-backtracking engine: a hostile pattern cannot stall the pass.
        "expect_column_values_to_match_regex" => new Matches(new Regex(e.Regex ?? "", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)),
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

        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line) => true;
        public override ValueCheck Fork() => new NotNull();
    }

    sealed class Between(double? min, double? max) : ValueCheck
    {
        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line) =>
            number is double x && double.IsFinite(x) && (min is null || x >= min) && (max is null || x <= max);
        public override ValueCheck Fork() => new Between(min, max);
    }

    /// <summary>The set is shared read-only by every block; its values of up to three characters are also kept packed (<see cref="ColumnScan.TryPack"/>).</summary>
    sealed class InSet(HashSet<string> set, HashSet<ulong>? shortValues = null) : ValueCheck
    {
        readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup = set.GetAlternateLookup<ReadOnlySpan<char>>();
        readonly HashSet<ulong> _short = shortValues ?? [.. set.Select(v => ColumnScan.TryPack(v, out var k) ? k : (ulong?)null).OfType<ulong>()];

        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line) =>
            ColumnScan.TryPack(value, out var packed) ? _short.Contains(packed) : _lookup.Contains(value);

        public override ValueCheck Fork() => new InSet(set, _short);
    }

    /// <summary>
    /// Keeps a 64-bit XxHash3 per distinct value (not the value), so a 10-million-row ID column costs about 200 MB, not gigabytes.
    /// A block finds its own repeats (with the value as example); the merge finds values repeated from an earlier block.
    /// </summary>
    sealed class Unique : ValueCheck
    {
        readonly HashSet<ulong> _seen = [];
        readonly List<(ulong Hash, int Line)> _firsts = [];

        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line)
        {
            var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(value));
            if (!_seen.Add(hash)) return false;
            _firsts.Add((hash, line));
            return true;
        }

        public override ValueCheck Fork() => new Unique();

        public override void Merge(ValueCheck part)
        {
            base.Merge(part);
            foreach (var (hash, line) in ((Unique)part)._firsts)
                if (!_seen.Add(hash)) Unexpected.Add($"line {line}: repeats a value of an earlier line");
        }
    }

    /// <summary>
    /// A Regex instance is thread-safe, so every block shares the one built for the suite. Regexes mostly guard short codes
    /// with few distinct values, so each block remembers the verdict for up to 256 distinct values.
    /// </summary>
    sealed class Matches(Regex regex) : ValueCheck
    {
        const int Remembered = 256;
        readonly Dictionary<string, bool> _verdicts = new(StringComparer.Ordinal);
        Dictionary<string, bool>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line)
        {
            if (_verdicts.Count == 0) _lookup = _verdicts.GetAlternateLookup<ReadOnlySpan<char>>();
            if (_lookup.TryGetValue(value, out var known)) return known;
            var verdict = regex.IsMatch(value);
            if (_verdicts.Count < Remembered) _lookup[value] = verdict;
            return verdict;
        }

        public override ValueCheck Fork() => new Matches(regex);
    }

    sealed class OfType(ColumnType type) : ValueCheck
    {
        protected override bool Meets(ReadOnlySpan<char> value, double? number, int line) => type switch
        {
            ColumnType.Number => number is double x && double.IsFinite(x),
            ColumnType.Integer => number is double x && double.IsFinite(x) && x == Math.Floor(x),
            ColumnType.Boolean => value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase),
            _ => true,
        };

        public override ValueCheck Fork() => new OfType(type);
    }
}
