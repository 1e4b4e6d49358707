package io.jix.loadgen.memcached;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG of latency against achieved throughput, one colour per server: p99 as a solid line with
 * dots, p50 dashed, the SLA as a grey horizontal line. Latency is on a logarithmic axis (a server
 * past its knee goes from microseconds to milliseconds). Drawn with java.awt on a headless image,
 * no plotting library.
 */
public final class LatencyPlot {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 640;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;
    private static final Color[] COLOURS = {new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

    private LatencyPlot() {
    }

    /** Draws {@code results} into {@code file} (PNG), titled {@code title}. */
    public static void write(Path file, String title, List<Sweep.Result> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(g, title, results);
        } finally {
            g.dispose();
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    private static void draw(Graphics2D g, String title, List<Sweep.Result> results) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double sla = results.isEmpty() ? 500 : results.get(0).slaUs();
        double maxQps = 1;
        double maxUs = sla * 2;
        double minUs = sla / 10;
        for (Sweep.Result r : results) {
            for (StepResult s : r.steps()) {
                maxQps = Math.max(maxQps, s.achievedQps());
                maxUs = Math.max(maxUs, s.p99Us());
                if (s.p50Us() > 0) {
                    minUs = Math.min(minUs, s.p50Us());
                }
            }
        }
        double xMax = niceCeiling(maxQps * 1.05);
        double yLow = Math.pow(10, Math.floor(Math.log10(Math.max(1, minUs))));
        double yHigh = Math.pow(10, Math.ceil(Math.log10(maxUs)));
        Axes axes = new Axes(xMax, Math.log10(yLow), Math.log10(yHigh));

        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.setColor(Color.BLACK);
        g.drawString(title, LEFT, 35);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();
        // Grid and tick labels.
        for (int i = 0; i <= 5; i++) {
            double q = xMax * i / 5;
            int x = axes.x(q);
            g.setColor(new Color(0xeeeeee));
            g.drawLine(x, TOP, x, HEIGHT - BOTTOM);
            g.setColor(Color.DARK_GRAY);
            String label = q >= 1e6 ? String.format(Locale.ROOT, "%.2fM", q / 1e6)
                    : String.format(Locale.ROOT, "%.0fk", q / 1e3);
            g.drawString(label, x - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 20);
        }
        for (double decade = yLow; decade <= yHigh * 1.001; decade *= 10) {
            for (int m = 1; m < 10; m++) {
                double v = decade * m;
                if (v > yHigh * 1.001) {
                    break;
                }
                int y = axes.y(v);
                g.setColor(m == 1 ? new Color(0xdddddd) : new Color(0xf4f4f4));
                g.drawLine(LEFT, y, WIDTH - RIGHT, y);
                if (m == 1) {
                    g.setColor(Color.DARK_GRAY);
                    String label = v >= 1000 ? String.format(Locale.ROOT, "%.0f ms", v / 1000)
                            : String.format(Locale.ROOT, "%.0f µs", v);
                    g.drawString(label, LEFT - 8 - fm.stringWidth(label), y + 5);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        String xTitle = "achieved throughput (requests/s)";
        g.drawString(xTitle, LEFT + (WIDTH - LEFT - RIGHT - fm.stringWidth(xTitle)) / 2, HEIGHT - 25);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("latency (log scale)", -(TOP + (HEIGHT - TOP - BOTTOM) / 2 + 50), 22);
        rotated.dispose();
        // The SLA.
        Stroke dashed = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0);
        g.setColor(Color.GRAY);
        g.setStroke(dashed);
        int slaY = axes.y(sla);
        g.drawLine(LEFT, slaY, WIDTH - RIGHT, slaY);
        g.drawString(String.format(Locale.ROOT, "SLA p99 %.0f µs", sla), WIDTH - RIGHT - 120, slaY - 6);
        // One line per server.
        Stroke solid = new BasicStroke(2.5f);
        Stroke thinDashed = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
                new float[] {5, 4}, 0);
        for (int i = 0; i < results.size(); i++) {
            g.setColor(COLOURS[i % COLOURS.length]);
            polyline(g, axes, results.get(i).steps(), true, solid);
            polyline(g, axes, results.get(i).steps(), false, thinDashed);
        }
        int legendY = TOP + 20;
        // The legend on a white box, so that lines passing under it do not cross its text.
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(LEFT + 8, TOP + 6, 430, 20 * results.size() + 24);
        g.setColor(Color.LIGHT_GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(LEFT + 8, TOP + 6, 430, 20 * results.size() + 24);
        for (int i = 0; i < results.size(); i++) {
            Sweep.Result r = results.get(i);
            Color c = COLOURS[i % COLOURS.length];
            g.setColor(c);
            g.setStroke(solid);
            g.drawLine(LEFT + 15, legendY - 4, LEFT + 45, legendY - 4);
            g.setColor(Color.BLACK);
            String best = r.best().map(s -> String.format(Locale.ROOT, " — max %,.0f/s at p99 %.0f µs",
                    s.achievedQps(), s.p99Us())).orElse(" — no step within the SLA");
            g.drawString(r.server() + " p99" + best, LEFT + 52, legendY);
            legendY += 20;
        }
        g.setColor(Color.GRAY);
        g.drawString("dashed: p50 of the same server", LEFT + 52, legendY);
    }

    private static void polyline(Graphics2D g, Axes axes, List<StepResult> steps, boolean p99, Stroke stroke) {
        g.setStroke(stroke);
        int px = -1;
        int py = -1;
        for (StepResult s : steps) {
            double v = p99 ? s.p99Us() : s.p50Us();
            if (s.samples() == 0 || v <= 0) {
                continue;
            }
            int x = axes.x(s.achievedQps());
            int y = axes.y(v);
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            if (p99) {
                g.fillOval(x - 4, y - 4, 8, 8);
            }
            px = x;
            py = y;
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private record Axes(double xMax, double logLow, double logHigh) {
        int x(double qps) {
            return LEFT + (int) Math.round(qps / xMax * (WIDTH - LEFT - RIGHT));
        }

        int y(double us) {
            double f = (Math.log10(Math.max(us, 1e-3)) - logLow) / (logHigh - logLow);
            f = Math.clamp(f, -0.02, 1.02);
            return HEIGHT - BOTTOM - (int) Math.round(f * (HEIGHT - TOP - BOTTOM));
        }
    }
}
