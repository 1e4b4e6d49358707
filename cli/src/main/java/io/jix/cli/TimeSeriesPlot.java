package io.jix.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * The elasticity experiment as a PNG: four panels over time — offered load, threads running,
 * p99 latency (log scale, with the SLA) and CPU — one line per configuration. Drawn with java.awt,
 * headless.
 */
final class TimeSeriesPlot {

    private static final int WIDTH = 1000;
    private static final int PANEL = 190;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 40;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728)};
    private static final String[] CONFIGS = {"elastic", "static"};

    private TimeSeriesPlot() {
    }

    static void write(Path file, List<ElasticBench.Second> all, long slaMicros) throws IOException {
        int height = TOP + 4 * PANEL + 40;
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("jix elasticity: echo on xdp, load low -> high -> low; blue = --cores 1:2 (IXCP), red = static busy-polling",
                LEFT, 24);
        int tMax = all.stream().mapToInt(ElasticBench.Second::t).max().orElse(1);
        panel(g, 0, "offered load (echoes/s)", all, ElasticBench.Second::offered, tMax, false, -1);
        panel(g, 1, "threads running", all, ElasticBench.Second::threads, tMax, false, -1);
        panel(g, 2, "p99 latency (us, log)", all, ElasticBench.Second::p99Micros, tMax, true, slaMicros);
        panel(g, 3, "CPU (% of one core)", all, ElasticBench.Second::cpuPercent, tMax, false, -1);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString("time (s)", WIDTH / 2, height - 6);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void panel(Graphics2D g, int index, String title, List<ElasticBench.Second> all,
                              ToDoubleFunction<ElasticBench.Second> value, int tMax, boolean log, double line) {
        int y0 = TOP + index * PANEL;
        int h = PANEL - 35;
        int w = WIDTH - LEFT - RIGHT;
        double max = all.stream().mapToDouble(value).max().orElse(1);
        if (line > 0) {
            max = Math.max(max, line);
        }
        double min = log ? Math.max(1, all.stream().mapToDouble(value).filter(v -> v > 0).min().orElse(1)) : 0;
        double top = log ? Math.pow(10, Math.ceil(Math.log10(Math.max(max, 10)))) : niceCeiling(max);
        double bottom = log ? Math.pow(10, Math.floor(Math.log10(min))) : 0;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(title, LEFT, y0 + 12);
        g.drawRect(LEFT, y0 + 18, w, h);
        // Grid: quarters on a linear axis, decades on a log one.
        int ticks = log ? (int) Math.round(Math.log10(top / bottom)) : 4;
        for (int k = 0; k <= ticks; k++) {
            double v = log ? bottom * Math.pow(10, k) : top * k / ticks;
            int y = yOf(v, bottom, top, log, y0 + 18, h);
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT + 1, y, LEFT + w - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v), 8, y + 4);
        }
        for (int t = 10; t < tMax; t += 10) {
            int x = LEFT + w * t / tMax;
            g.setColor(new Color(0xeeeeee));
            g.drawLine(x, y0 + 19, x, y0 + 18 + h - 1);
            if (index == 3) {
                g.setColor(Color.DARK_GRAY);
                g.drawString(String.valueOf(t), x - 6, y0 + 18 + h + 14);
            }
        }
        if (line > 0) {
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            int y = yOf(line, bottom, top, log, y0 + 18, h);
            g.drawLine(LEFT, y, LEFT + w, y);
            g.drawString("SLA", LEFT + w - 30, y - 3);
        }
        g.setStroke(new BasicStroke(2));
        for (int c = 0; c < CONFIGS.length; c++) {
            String config = CONFIGS[c];
            List<ElasticBench.Second> series = all.stream().filter(s -> s.config().equals(config)).toList();
            g.setColor(COLORS[c]);
            for (int i = 1; i < series.size(); i++) {
                ElasticBench.Second a = series.get(i - 1);
                ElasticBench.Second b = series.get(i);
                g.drawLine(LEFT + w * a.t() / tMax, yOf(value.applyAsDouble(a), bottom, top, log, y0 + 18, h),
                        LEFT + w * b.t() / tMax, yOf(value.applyAsDouble(b), bottom, top, log, y0 + 18, h));
            }
        }
        g.setStroke(new BasicStroke(1));
    }

    private static int yOf(double v, double bottom, double top, boolean log, int y, int h) {
        double f = log ? (Math.log10(Math.max(v, bottom)) - Math.log10(bottom)) / (Math.log10(top) - Math.log10(bottom))
                : v / top;
        return y + h - (int) Math.round(Math.clamp(f, 0, 1) * h);
    }

    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
