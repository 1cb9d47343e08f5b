package io.eventgate.loadtest.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Minimal SVG charts (grouped bars, lines; linear or log10 y axis), written as text. */
public final class Svg {
    static final String[] COLORS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac"};
    private static final int W = 760;
    private static final int H = 380;
    private static final int LEFT = 78;
    private static final int RIGHT = 20;
    private static final int TOP = 48;
    private static final int BOTTOM = 70;

    private Svg() {}

    /** One named series of a line chart: points (x, y). */
    public record Series(String name, List<double[]> points) {}

    /** Grouped bars: {@code values[s][c]} is series {@code s} in category {@code c} (NaN = no bar). */
    public static String bars(String title, String yLabel, List<String> categories, List<String> series,
                              double[][] values, boolean log) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v) && v > 0) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        Axis axis = new Axis(log, min == Double.MAX_VALUE ? 1 : min, max == 0 ? 1 : max);
        StringBuilder b = header(title);
        axis.draw(b, yLabel);
        int plotW = W - LEFT - RIGHT;
        double group = plotW / (double) Math.max(1, categories.size());
        double bar = group * 0.8 / Math.max(1, series.size());
        for (int c = 0; c < categories.size(); c++) {
            double gx = LEFT + c * group + group * 0.1;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][c];
                if (!Double.isFinite(v) || v <= 0 && log) {
                    continue;
                }
                double y = axis.y(v);
                double x = gx + s * bar;
                b.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %s</title>"
                                + "</rect>%n", x, y, Math.max(1, bar - 2), Math.max(0, H - BOTTOM - y),
                        COLORS[s % COLORS.length], esc(series.get(s)), num(v)));
                if (bar >= 22) {
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\""
                            + " text-anchor=\"middle\">%s</text>%n", x + (bar - 2) / 2, y - 3, num(v)));
                }
            }
            String[] lines = categories.get(c).split("\n");
            for (int l = 0; l < lines.length; l++) {
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\""
                        + " text-anchor=\"middle\">%s</text>%n", LEFT + c * group + group / 2, H - BOTTOM + 16 + 13 * l,
                        esc(lines[l])));
            }
        }
        legend(b, series);
        return b.append("</svg>\n").toString();
    }

    /** Lines with markers over a numeric x axis (log10 x when {@code logX}). */
    public static String lines(String title, String xLabel, String yLabel, List<Series> series, boolean logX,
                               boolean logY, Double horizontalLine, String horizontalLabel) {
        double xmin = Double.MAX_VALUE;
        double xmax = -Double.MAX_VALUE;
        double ymin = Double.MAX_VALUE;
        double ymax = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                if (p[1] > 0) {
                    ymin = Math.min(ymin, p[1]);
                }
                ymax = Math.max(ymax, p[1]);
            }
        }
        if (horizontalLine != null) {
            ymax = Math.max(ymax, horizontalLine);
            ymin = Math.min(ymin, horizontalLine);
        }
        if (xmin == Double.MAX_VALUE) {
            xmin = 1;
            xmax = 10;
        }
        Axis y = new Axis(logY, ymin == Double.MAX_VALUE ? 1 : ymin, ymax == 0 ? 1 : ymax);
        double lx0 = logX ? Math.log10(Math.max(1e-9, xmin)) : Math.min(0, xmin);
        double lx1 = logX ? Math.log10(Math.max(1e-9, xmax)) : xmax;
        if (lx1 <= lx0) {
            lx1 = lx0 + 1;
        }
        double fx0 = lx0;
        double fx1 = lx1;
        java.util.function.DoubleUnaryOperator xf = v -> LEFT + ((logX ? Math.log10(Math.max(1e-9, v)) : v) - fx0)
                / (fx1 - fx0) * (W - LEFT - RIGHT - 10) + 5;
        StringBuilder b = header(title);
        y.draw(b, yLabel);
        List<Double> ticks = new ArrayList<>();
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (!ticks.contains(p[0])) {
                    ticks.add(p[0]);
                }
            }
        }
        for (double t : ticks) {
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s"
                    + "</text>%n", xf.applyAsDouble(t), H - BOTTOM + 15, num(t)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s"
                + "</text>%n", LEFT + (W - LEFT - RIGHT) / 2, H - BOTTOM + 34, esc(xLabel)));
        if (horizontalLine != null) {
            double hy = y.y(horizontalLine);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c00\""
                    + " stroke-dasharray=\"6,4\"/>%n<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#c00\""
                    + " text-anchor=\"end\">%s</text>%n", LEFT, hy, W - RIGHT, hy, W - RIGHT - 4, hy - 4,
                    esc(horizontalLabel)));
        }
        List<String> names = new ArrayList<>();
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            names.add(ser.name());
            String color = COLORS[s % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (double[] p : ser.points()) {
                if (logY && p[1] <= 0) {
                    continue;
                }
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f",
                        xf.applyAsDouble(p[0]), y.y(p[1])));
            }
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                    .append("\" stroke-width=\"2\"/>\n");
            for (double[] p : ser.points()) {
                if (logY && p[1] <= 0) {
                    continue;
                }
                b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s:"
                        + " %s -> %s</title></circle>%n", xf.applyAsDouble(p[0]), y.y(p[1]), color, esc(ser.name()),
                        num(p[0]), num(p[1])));
            }
        }
        legend(b, names);
        return b.append("</svg>\n").toString();
    }

    private static StringBuilder header(String title) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">%n", W, H, W, H));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\""
                + " text-anchor=\"middle\">%s</text>%n", W / 2, esc(title)));
        return b;
    }

    private static void legend(StringBuilder b, List<String> names) {
        int x = LEFT + 6;
        for (int i = 0; i < names.size(); i++) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"32\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"41\" font-size=\"11\">%s</text>%n", x, COLORS[i % COLORS.length], x + 14,
                    esc(names.get(i))));
            x += 24 + 7 * names.get(i).length();
        }
    }

    /** A y axis: linear from 0 with 1/2/5 steps, or log10 by decades. */
    private static final class Axis {
        final boolean log;
        final double lo;
        final double hi;
        final List<Double> ticks = new ArrayList<>();

        Axis(boolean log, double min, double max) {
            this.log = log;
            if (log) {
                double a = Math.floor(Math.log10(min));
                double z = Math.ceil(Math.log10(max));
                if (z <= a) {
                    z = a + 1;
                }
                lo = a;
                hi = z;
                for (double d = a; d <= z + 1e-9; d++) {
                    ticks.add(Math.pow(10, d));
                }
            } else {
                double step = niceStep(max / 5);
                lo = 0;
                hi = Math.ceil(max / step) * step;
                for (double t = 0; t <= hi + step / 2; t += step) {
                    ticks.add(t);
                }
            }
        }

        static double niceStep(double raw) {
            if (raw <= 0) {
                return 1;
            }
            double p = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / p;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
        }

        double y(double v) {
            double t = log ? (Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo) : (v - lo) / (hi - lo);
            t = Math.max(0, Math.min(1, t));
            return H - BOTTOM - t * (H - TOP - BOTTOM);
        }

        void draw(StringBuilder b, String label) {
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                    LEFT, TOP, LEFT, H - BOTTOM));
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                    LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
            for (double t : ticks) {
                double y = y(t);
                b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                        + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>%n", LEFT, y,
                        W - RIGHT, y, LEFT - 5, y + 3, num(t)));
            }
            b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" font-size=\"12\""
                    + " text-anchor=\"middle\">%s</text>%n", TOP + (H - TOP - BOTTOM) / 2, esc(label)));
        }
    }

    static String num(double v) {
        double a = Math.abs(v);
        if (a >= 1_000_000) {
            return trim(String.format(Locale.ROOT, "%.2f", v / 1_000_000)) + "M";
        }
        if (a >= 10_000) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1000)) + "k";
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 1) {
            return trim(String.format(Locale.ROOT, "%.2f", v));
        }
        return trim(String.format(Locale.ROOT, "%.3f", v));
    }

    private static String trim(String s) {
        if (!s.contains(".")) {
            return s;
        }
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
