using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlOps.Validate;

/// <summary>
/// Numbers as CSV files write them, read fast: a plain decimal ("-1.234567", "42") of at most 15 digits is exactly
/// mantissa / 10^fraction digits, which one IEEE division rounds correctly (Clinger's fast path: both operands are exact
/// doubles), so the result is the one any correct parser gives. Everything else (exponents, long mantissas, "NaN",
/// "inf", hex …) goes to csFastFloat, itself correctly rounded.
/// </summary>
public static class DecimalParser
{
    static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParse(ReadOnlySpan<char> s, out double value) =>
        TryParsePlain(s, out value) || csFastFloat.FastDoubleParser.TryParseDouble(s, out int consumed, out value) && consumed == s.Length;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool TryParsePlain(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        var length = s.Length;
        if (length == 0 || length > 17) return false; // sign + 15 digits + point at most
        ref var c = ref MemoryMarshal.GetReference(s);
        var i = 0;
        var negative = c == '-';
        if (negative || c == '+') i = 1;
        ulong mantissa = 0;
        var start = i;
        uint d;
        while (i < length && (d = (uint)(Unsafe.Add(ref c, i) - '0')) <= 9) { mantissa = mantissa * 10 + d; i++; }
        var digits = i - start;
        if (digits == 0) return false; // ".5", "-", "NaN" … are for the full parser
        var fraction = 0;
        if (i < length)
        {
            if (Unsafe.Add(ref c, i) != '.') return false;
            var fractionStart = ++i;
            while (length - i >= 4 && TryFourDigits(ref Unsafe.Add(ref c, i), out var four)) { mantissa = mantissa * 10_000 + four; i += 4; }
            while (i < length && (d = (uint)(Unsafe.Add(ref c, i) - '0')) <= 9) { mantissa = mantissa * 10 + d; i++; }
            if (i < length) return false; // an exponent or anything else: the full parser decides
            fraction = i - fractionStart;
            if (fraction == 0) return false; // "1."
            digits += fraction;
        }
        if (digits > 15) return false; // the mantissa may no longer be exact (nor, past 19 digits, the ulong)
        var x = fraction == 0 ? mantissa : mantissa / PowersOfTen[fraction];
        value = negative ? -x : x;
        return true;
    }

    /// <summary>Four UTF-16 digits read as one 64-bit word (SWAR): their value, or false when any of them is not 0-9.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool TryFourDigits(ref char first, out uint value)
    {
        var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<char, byte>(ref first));
        value = 0;
        // Every lane 0x0030..0x0039: high bytes zero, low nibble-high 3, and adding 6 keeps that nibble 3 (no carry past 9).
        if ((word & 0xFFF0_FFF0_FFF0_FFF0UL) != 0x0030_0030_0030_0030UL
            || ((word + 0x0006_0006_0006_0006UL) & 0xFFF0_FFF0_FFF0_FFF0UL) != 0x0030_0030_0030_0030UL) return false;
        var digits = word - 0x0030_0030_0030_0030UL; // lanes d0 (first char, low bits) … d3
        var pairs = (digits * 10 + (digits >> 16)) & 0x0000_FFFF_0000_FFFFUL; // d0*10+d1 in lane 0, d2*10+d3 in lane 2
        value = (uint)((pairs & 0xFFFF) * 100 + (pairs >> 32));
        return true;
    }
}
