package io.irgstream.app.client;

import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.Step;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import org.apache.avro.specific.SpecificRecord;

import java.util.Base64;
import java.util.List;

/**
 * One self-contained HTML page (images embedded as data URIs, no external resources) that shows a trajectory to an
 * auditor: the request, each step's output with its provenance and timings, the verdicts, and the integrity result.
 */
public final class AuditReport {
    private AuditReport() {
    }

    /** The page for {@code t}; {@code checks} from {@link Replay#verify} (with or without re-runs). */
    public static String html(CollectedTrajectory t, ImageStore images, List<Replay.StepCheck> checks) {
        PromptSubmitted p = t.prompt();
        TrajectoryContext c = p.getContext();
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>irg audit ").append(esc(t.id()))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330}"
                        + "h1{font-size:20px}h2{font-size:16px;margin-top:24px}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}"
                        + "img{width:192px;height:192px;image-rendering:pixelated;border:1px solid #ccd}"
                        + "pre{white-space:pre-wrap;background:#f5f6f8;padding:8px;max-width:900px}"
                        + ".bad{color:#b00020;font-weight:bold}.ok{color:#1a7f37}</style></head><body>");
        h.append("<h1>Trajectory ").append(esc(t.id())).append("</h1>");
        h.append("<table><tr><th>prompt</th><td>").append(esc(c.getPrompt())).append("</td></tr>")
                .append("<tr><th>seed</th><td>").append(c.getSeed()).append("</td></tr>")
                .append("<tr><th>rounds</th><td>").append(c.getRounds()).append("</td></tr>")
                .append("<tr><th>sampler</th><td>temperature ").append(c.getSampler().getTemperature()).append(", ")
                .append(c.getSampler().getSteps()).append(" steps, cfg text ").append(c.getSampler().getCfgText())
                .append(", cfg image ").append(c.getSampler().getCfgImage()).append("</td></tr>")
                .append("<tr><th>submitted</th><td>").append(c.getSubmittedAt()).append(" by ").append(esc(String.valueOf(c.getSource())))
                .append("</td></tr><tr><th>status</th><td>").append(t.failed() ? "<span class=bad>FAILED</span>"
                        : t.isDone() ? "COMPLETED" : "INCOMPLETE").append("</td></tr></table>");
        for (SpecificRecord e : t.events()) {
            if (e instanceof ThoughtProduced th) {
                section(h, Step.THINK.id(), th.getProvenance());
                h.append("<pre>").append(esc(th.getThought())).append("</pre>");
            } else if (e instanceof DraftImageProduced d) {
                section(h, Step.DRAW.id(), d.getProvenance());
                image(h, images, d.getImage(), "draft");
            } else if (e instanceof ReflectionProduced r) {
                section(h, Step.REFLECT.id() + ", round " + r.getRound() + ": " + r.getVerdict(), r.getProvenance());
                image(h, images, r.getImage(), "judged image");
                h.append("<pre>").append(esc(r.getReflection())).append("</pre>");
            } else if (e instanceof FinalImageProduced f) {
                section(h, Step.REFINE.id() + ", round " + f.getRound(), f.getProvenance());
                image(h, images, f.getImage(), "final");
            } else if (e instanceof DeadLetter dl) {
                h.append("<h2 class=bad>dead letter: ").append(esc(dl.getStep())).append("</h2><p>")
                        .append(esc(dl.getErrorClass())).append(": ").append(esc(dl.getErrorMessage())).append(" (attempts ")
                        .append(dl.getAttempts()).append(", ").append(dl.getLastFailedAt()).append(", ")
                        .append(esc(dl.getTopic())).append("-").append(dl.getPartition()).append("@").append(dl.getOffset())
                        .append(")</p>");
            }
        }
        h.append("<h2>Integrity and replay</h2><table><tr><th>step</th><th>round</th><th>revision</th><th>image</th><th>replay</th></tr>");
        for (Replay.StepCheck k : checks) {
            boolean bad = k.imageCheck().startsWith("TAMPERED") || k.outcome() == Replay.Outcome.DIFFERENT
                    || k.outcome() == Replay.Outcome.MODEL_MISSING;
            h.append("<tr class=").append(bad ? "bad" : "ok").append("><td>").append(k.step()).append("</td><td>")
                    .append(k.round()).append("</td><td>").append(k.provenance().getRevision()).append("</td><td>").append(esc(k.imageCheck())).append("</td><td>").append(k.outcome())
                    .append(k.detail().isEmpty() ? "" : " (" + esc(k.detail()) + ")").append("</td></tr>");
        }
        h.append("</table><p>Generated by irg audit at ").append(java.time.Instant.now()).append(".</p></body></html>\n");
        return h.toString();
    }

    private static void section(StringBuilder h, String title, Provenance p) {
        String revision = p.getRevision() == 0 ? "" : ", revision " + p.getRevision() + " (redrive)";
        h.append("<h2>").append(esc(title + revision)).append("</h2><table>");
        if (p.getRevision() > 0) {
            h.append("<tr><th>redrive</th><td>revision ").append(p.getRevision()).append(" of this step, re-run with the model "
                    + "below; the original was made by model sha256 ").append(esc(p.getRedrivenModelSha256())).append("</td></tr>");
        }
        h.append("<tr><th>model</th><td>").append(esc(p.getModelName()))
                .append(" sha256 ").append(esc(p.getModelSha256().isEmpty() ? "(not reported by the server)" : p.getModelSha256()))
                .append(" on ").append(esc(p.getDevice())).append(", backend ").append(esc(p.getBackend()))
                .append("</td></tr>");
        if (p.getRemote() != null) {
            io.irgstream.events.RemoteCall r = p.getRemote();
            h.append("<tr><th>remote call</th><td>").append(esc(r.getModel())).append(" on ").append(esc(r.getHost()))
                    .append(", response ").append(esc(String.valueOf(r.getResponseId()))).append(", ")
                    .append(r.getLatencyMs()).append(" ms, tokens in/out ").append(r.getPromptTokens() == null ? "-" : r.getPromptTokens())
                    .append("/").append(r.getCompletionTokens() == null ? "-" : r.getCompletionTokens())
                    .append(r.getSeed() == null ? ", seed not echoed (not reproducible)" : ", seed echoed").append("</td></tr>");
        }
        h.append("<tr><th>worker</th><td>").append(esc(p.getWorkerId())).append(", attempt ").append(p.getAttempt())
                .append("</td></tr><tr><th>step seed</th><td>").append(p.getStepSeed()).append("</td></tr><tr><th>timing</th><td>queue wait ")
                .append(p.getQueueWaitMs()).append(" ms, compute ").append(p.getComputeMs()).append(" ms (batch of ")
                .append(p.getBatchSize()).append("), produced ").append(p.getProducedAt()).append("</td></tr></table>");
    }

    private static void image(StringBuilder h, ImageStore images, ImageRef ref, String alt) {
        try {
            byte[] bytes = images.bytes(ref);
            h.append("<p><img alt=\"").append(esc(alt)).append("\" src=\"data:").append(esc(ref.getMediaType())).append(";base64,")
                    .append(Base64.getEncoder().encodeToString(bytes)).append("\"><br><small>sha256 ").append(ref.getSha256())
                    .append(" <span class=ok>verified</span></small></p>");
        } catch (ImageIntegrityException e) {
            h.append("<p class=bad>").append(esc(alt)).append(": ").append(esc(e.getMessage())).append("</p>");
        }
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
