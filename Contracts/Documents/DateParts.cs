using System.Globalization;

namespace MlOps.Contracts;

/// <summary>
/// A timestamp feature (<see cref="FeatureSpec.Timestamps"/>) as the model reads it: one reading of its text, shared by
/// validation, training and serving, and the date parts a model learns from. A cell is an ISO 8601 date or date-time
/// (<c>2024-03-15</c>, <c>2024-03-15T10:30</c>, <c>2024-03-15 10:30:00.5</c>, with or without <c>Z</c> or an offset), the
/// same with slashes (<c>2024/03/15</c>), or a number of seconds since 1970-01-01 (a column of numbers). Dates written day
/// first or month first (03/04/2024) are ambiguous and are not read. An offset is not applied: the parts are the clock's as
/// written (an order placed at 23:00 local time on a Friday is a Friday order, whatever UTC says). Time is read to the second.
/// </summary>
public static class DateParts
{
    /// <summary>The parts, in the order the model sees them: year, month (1–12), day of month, weekday (Monday 0 … Sunday 6), hour (0–23).</summary>
    public static readonly IReadOnlyList<string> Names = ["year", "month", "day", "weekday", "hour"];

    /// <summary>What an empty cell's parts are: a value no date has, which a tree separates from the rest.</summary>
    public const float Missing = -1;

    /// <summary>The latest second a timestamp may be (9999-12-31T23:59:59): larger numbers are not seconds since 1970.</summary>
    public const double MaxSeconds = 253402300799;
    /// <summary>The earliest second a timestamp may be (0001-01-01T00:00:00).</summary>
    public const double MinSeconds = -62135596800;

    const string Example = "an ISO 8601 date or time such as 2024-03-15 or 2024-03-15T10:30:00, or seconds since 1970";

    static readonly string[] Formats =
    [
        .. new[] { "-", "/" }.SelectMany(s => new[]
        {
            $"yyyy{s}MM{s}dd",
            $"yyyy{s}MM{s}dd'T'HH:mmK", $"yyyy{s}MM{s}dd'T'HH:mm:ssK", $"yyyy{s}MM{s}dd'T'HH:mm:ss.FFFFFFFK",
            $"yyyy{s}MM{s}dd HH:mmK", $"yyyy{s}MM{s}dd HH:mm:ssK", $"yyyy{s}MM{s}dd HH:mm:ss.FFFFFFFK",
        }),
    ];

    /// <summary>Whether <paramref name="text"/> starts like a date this reader knows (four digits and a '-' or '/'): a cheap test before parsing.</summary>
    public static bool LooksLikeDate(ReadOnlySpan<char> text) =>
        text.Length >= 10 && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[1]) && char.IsAsciiDigit(text[2]) && char.IsAsciiDigit(text[3])
        && text[4] is '-' or '/';

    /// <summary>A date or date-time cell as whole seconds since 1970-01-01 on the clock as written; false for anything else.</summary>
    public static bool TryReadDate(ReadOnlySpan<char> text, out double seconds)
    {
        seconds = double.NaN;
        if (!LooksLikeDate(text) || !DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return false;
        seconds = Math.Floor((at.DateTime.Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond);
        return true;
    }

    /// <summary>
    /// A cell as whole seconds since 1970 (NaN for an empty cell), or false with what is wrong: a date or date-time
    /// (<see cref="TryReadDate"/>) or a number of seconds in the calendar's range.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> text, out double seconds, out string problem)
    {
        problem = "";
        seconds = double.NaN;
        text = text.Trim();
        if (text.IsEmpty) return true;
        if (TryReadDate(text, out seconds)) return true;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            if (number is >= MinSeconds and <= MaxSeconds) { seconds = Math.Floor(number); return true; }
            problem = $"'{text}' as seconds since 1970 is outside years 1 to 9999 (a value in milliseconds: divide it by 1000)";
            seconds = double.NaN;
            return false;
        }
        problem = $"'{(text.Length > 40 ? $"{text[..40]}…" : text)}' is not {Example}";
        return false;
    }

    /// <summary>
    /// The date parts of <paramref name="seconds"/> (whole seconds since 1970) into <paramref name="parts"/> (in
    /// <see cref="Names"/> order), or <see cref="Missing"/> for each when it is NaN. Computed with the very double-precision
    /// steps the model's ONNX graph takes (days from civil, after Howard Hinnant's <c>civil_from_days</c>), so training and
    /// serving agree bit for bit; tests hold both to .NET's calendar.
    /// </summary>
    public static void Write(double seconds, Span<float> parts)
    {
        if (double.IsNaN(seconds)) { parts[..Names.Count].Fill(Missing); return; }
        var days = Math.Floor(seconds / 86400);
        var hour = Math.Floor((seconds - days * 86400) / 3600);
        var shifted = days + 3; // 1970-01-01 was a Thursday: weekday 3 counting from Monday
        var weekday = shifted - Math.Floor(shifted / 7) * 7;
        var z = days + 719468; // days since 0000-03-01
        var era = Math.Floor(z / 146097);
        var dayOfEra = z - era * 146097;
        var yearOfEra = Math.Floor((dayOfEra - Math.Floor(dayOfEra / 1460) + Math.Floor(dayOfEra / 36524) - Math.Floor(dayOfEra / 146096)) / 365);
        var dayOfYear = dayOfEra - (365 * yearOfEra + Math.Floor(yearOfEra / 4) - Math.Floor(yearOfEra / 100));
        var monthFromMarch = Math.Floor((5 * dayOfYear + 2) / 153);
        var day = dayOfYear - Math.Floor((153 * monthFromMarch + 2) / 5) + 1;
        var januaryOrFebruary = Math.Floor(monthFromMarch / 10);
        var month = monthFromMarch + 3 - 12 * januaryOrFebruary;
        var year = yearOfEra + era * 400 + januaryOrFebruary;
        parts[0] = (float)year; parts[1] = (float)month; parts[2] = (float)day; parts[3] = (float)weekday; parts[4] = (float)hour;
    }
}
