package io.irgstream.topology.internals;

import io.irgstream.schemas.AvroClassTrust;
import io.irgstream.events.CancellationRequested;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.events.TrajectoryError;
import io.irgstream.events.TrajectoryRevision;
import io.irgstream.events.TrajectoryRound;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.events.TrajectoryStep;
import io.irgstream.schemas.Revisions;
import io.irgstream.schemas.RoundControl;
import io.irgstream.model.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;

/**
 * The fold of step events into a {@link Trajectory}: pure functions, no Kafka. The rules:
 *
 * <ul>
 *   <li>Each (step, round) is folded in once; a redelivered or replayed event only counts a delivery. Text and image
 *       fields are filled when still empty and never overwritten, so events may arrive in any order.</li>
 *   <li>The normal status follows the furthest step seen (think &lt; draw &lt; reflect 1 &lt; refine 1 &lt;
 *       reflect 2 ...), so a late event never moves it back. A final image that {@link RoundControl#isLast} calls
 *       last completes the trajectory.</li>
 *   <li>A cancellation that carries a deadline (a worker skipped the trajectory past its deadline) ends it EXPIRED;
 *       so does {@link #expire} when the deadline passes while it waits. A last final image produced by its
 *       deadline still completes an EXPIRED trajectory (it was made in time; the topology only learnt late).</li>
 *   <li>COMPLETED, CANCELLED and EXPIRED stay. FAILED (a dead letter) stays unless a step event produced after the failure
 *       arrives (a re-driven record succeeded). STALLED is left when an event takes the trajectory further.</li>
 *   <li>A cancellation of a COMPLETED, EXPIRED or FAILED trajectory is recorded but does not change its status.</li>
 *   <li>A revision (a step event with {@code provenance.revision > 0}, written by {@code ./irg redrive}) is listed
 *       in {@code revisions}, once per (step, round, revision); it never changes the status, the rounds, the final
 *       image, the steps or the attempts.</li>
 * </ul>
 *
 * <p>Every function returns the given instance when nothing changed, else a new record with the revision counted up
 * and {@code updatedAt = now}; the given record is never modified.
 */
public final class TrajectoryFold {

    /** The think step's name in the trajectory record. */
    public static final String THINK = Step.THINK.id();
    /** The draw step's name. */
    public static final String DRAW = Step.DRAW.id();
    /** The reflect step's name. */
    public static final String REFLECT = Step.REFLECT.id();
    /** The refine step's name. */
    public static final String REFINE = Step.REFINE.id();
    /**
     * The step name of a dead letter written by the webhook dispatcher for a callback that kept failing; the fold
     * ignores such dead letters (the trajectory had ended already).
     */
    public static final String WEBHOOK = "webhook";

    static {
        AvroClassTrust.install();
    }

    private TrajectoryFold() {
    }

    /**
     * Folds one event into a trajectory.
     *
     * @param current   the trajectory so far, or null when none exists yet
     * @param id        the trajectory id (the record key)
     * @param event     a PromptSubmitted, ThoughtProduced, DraftImageProduced, ReflectionProduced,
     *                  FinalImageProduced, DeadLetter or CancellationRequested
     * @param eventTime the Kafka record's timestamp
     * @param now       wall-clock time
     * @return {@code current} when the event changes nothing, else the new trajectory
     * @throws IllegalArgumentException naming the class when the event is of another type
     */
    public static Trajectory apply(Trajectory current, String id, SpecificRecord event, long eventTime, long now) {
        if (event instanceof DeadLetter d && WEBHOOK.equals(d.getStep())) {
            return current; // a callback that failed: the trajectory itself ended; rewriting it would call again
        }
        Trajectory t = current == null ? fresh(id, now) : Trajectory.newBuilder(current).build();
        if (Revisions.isRevision(event)) {
            revision(t, event, eventTime);
        } else if (event instanceof PromptSubmitted e) {
            mergeContext(t, e.getContext());
            if (t.getStatus() == TrajectoryStatus.QUEUED) {
                // the prompt reached the prompts topic (the scheduler released it, or a client wrote it there too)
                admit(t, now);
            }
        } else if (event instanceof ThoughtProduced e) {
            step(t, e.getContext(), THINK, 0, e.getProvenance(), eventTime, now, false, x -> fillThought(x,
                    e.getThought()));
        } else if (event instanceof DraftImageProduced e) {
            step(t, e.getContext(), DRAW, 0, e.getProvenance(), eventTime, now, false, x -> {
                fillThought(x, e.getThought());
                if (x.getDraft() == null) {
                    x.setDraft(e.getImage());
                }
            });
        } else if (event instanceof ReflectionProduced e) {
            step(t, e.getContext(), REFLECT, e.getRound(), e.getProvenance(), eventTime, now, false, x -> {
                fillThought(x, e.getThought());
                updateRound(x, e.getRound(), r -> {
                    fillRound(r, e.getImage(), e.getReflection(), e.getVerdict());
                    if (r.getReflectedAt() == null) {
                        r.setReflectedAt(e.getProvenance().getProducedAt());
                    }
                });
            });
        } else if (event instanceof FinalImageProduced e) {
            step(t, e.getContext(), REFINE, e.getRound(), e.getProvenance(), eventTime, now, RoundControl.isLast(e),
                    x -> {
                        fillThought(x, e.getThought());
                        updateRound(x, e.getRound(), r -> {
                            fillRound(r, e.getSourceImage(), e.getReflection(), e.getVerdict());
                            if (r.getFinalImage() == null) {
                                r.setFinalImage(e.getImage());
                            }
                            if (r.getRefinedAt() == null) {
                                r.setRefinedAt(e.getProvenance().getProducedAt());
                            }
                        });
                        x.setFinalImage(x.getReflectionRounds().stream().filter(r -> r.getFinalImage() != null)
                                .max(Comparator.comparingInt(TrajectoryRound::getRound))
                                .map(TrajectoryRound::getFinalImage).orElse(null));
                    });
        } else if (event instanceof DeadLetter e) {
            deadLetter(t, e, now);
        } else if (event instanceof CancellationRequested e) {
            cancel(t, e, now);
        } else {
            throw new IllegalArgumentException("cannot fold a " + (event == null ? "null" : event.getClass().getName())
                    + " into a trajectory");
        }
        return finish(current, t, eventTime, now);
    }

    /**
     * A trajectory the admission scheduler holds back: the request folded in as for a prompt, with status QUEUED.
     *
     * @param id    the trajectory id
     * @param event the submission
     * @param eventTime the Kafka record's timestamp
     * @param now   wall-clock time
     * @return the QUEUED trajectory
     */
    public static Trajectory queued(String id, PromptSubmitted event, long eventTime, long now) {
        Trajectory t = apply(null, id, event, eventTime, now);
        t.setStatus(TrajectoryStatus.QUEUED);
        t.setQueuedAt(Instant.ofEpochMilli(now));
        return t;
    }

    /**
     * Releases a QUEUED trajectory into the pipeline: SUBMITTED, pending think, {@code admittedAt} now.
     *
     * @param current the QUEUED trajectory
     * @param now     wall-clock time
     * @return {@code current} unless it was QUEUED, else the admitted one
     */
    public static Trajectory admitted(Trajectory current, long now) {
        if (current.getStatus() != TrajectoryStatus.QUEUED) {
            return current;
        }
        Trajectory t = Trajectory.newBuilder(current).build();
        admit(t, now);
        t.setRevision(t.getRevision() + 1);
        t.setUpdatedAt(Instant.ofEpochMilli(now));
        return t;
    }

    private static void admit(Trajectory t, long now) {
        t.setStatus(TrajectoryStatus.SUBMITTED);
        t.setPendingStep(THINK);
        t.setAdmittedAt(Instant.ofEpochMilli(now));
        t.setProgressedAt(Instant.ofEpochMilli(now)); // the think stall timeout runs from the admission
    }

    /**
     * Marks a running trajectory STALLED.
     *
     * @param current the trajectory
     * @param now     wall-clock time
     * @return {@code current} unless it was running (SUBMITTED, THOUGHT, DRAFTED or REFLECTED), else the stalled one
     */
    public static Trajectory stall(Trajectory current, long now) {
        if (!isRunning(current.getStatus())) {
            return current;
        }
        Trajectory t = Trajectory.newBuilder(current).build();
        t.setStatusBeforeStall(t.getStatus());
        t.setStatus(TrajectoryStatus.STALLED);
        t.setStalledAt(Instant.ofEpochMilli(now));
        t.setRevision(t.getRevision() + 1);
        t.setUpdatedAt(Instant.ofEpochMilli(now));
        return t;
    }

    /**
     * Marks a trajectory EXPIRED whose deadline passed while it waited for a step.
     *
     * @param current the trajectory
     * @param now     wall-clock time
     * @return {@code current} unless it is running, STALLED or QUEUED, has a deadline and {@code now} is at or past it,
     *     else the expired one
     */
    public static Trajectory expire(Trajectory current, long now) {
        if (!(isRunning(current.getStatus()) || current.getStatus() == TrajectoryStatus.STALLED
                || current.getStatus() == TrajectoryStatus.QUEUED)
                || current.getDeadline() == null || now < current.getDeadline().toEpochMilli()) {
            return current;
        }
        Trajectory t = Trajectory.newBuilder(current).build();
        markExpired(t, null, now);
        t.setRevision(t.getRevision() + 1);
        t.setUpdatedAt(Instant.ofEpochMilli(now));
        return t;
    }

    /**
     * @param status a status
     * @return true for the statuses of a trajectory that waits for a step and may stall: SUBMITTED, THOUGHT, DRAFTED
     *     and REFLECTED
     */
    public static boolean isRunning(TrajectoryStatus status) {
        return switch (status) {
            case SUBMITTED, THOUGHT, DRAFTED, REFLECTED -> true;
            default -> false;
        };
    }

    /**
     * @param status a status
     * @return true for the statuses after which no update is expected: COMPLETED, FAILED, CANCELLED and EXPIRED
     */
    public static boolean isEnded(TrajectoryStatus status) {
        return status == TrajectoryStatus.COMPLETED || status == TrajectoryStatus.FAILED
                || status == TrajectoryStatus.CANCELLED || status == TrajectoryStatus.EXPIRED;
    }

    /**
     * @param t a trajectory
     * @return the sha256 of every image it references: draft, judged and final images of every round
     */
    public static Set<String> imageShas(Trajectory t) {
        Set<String> shas = new LinkedHashSet<>();
        addSha(shas, t.getDraft());
        for (TrajectoryRound r : t.getReflectionRounds()) {
            addSha(shas, r.getJudgedImage());
            addSha(shas, r.getFinalImage());
        }
        addSha(shas, t.getFinalImage());
        for (TrajectoryRevision r : t.getRevisions()) {
            addSha(shas, r.getImage());
        }
        return shas;
    }

    /**
     * @param t      a trajectory
     * @param sha256 an image hash
     * @return the trajectory's reference to that image, or null when it has none
     */
    public static ImageRef findImage(Trajectory t, String sha256) {
        List<ImageRef> refs = new ArrayList<>();
        refs.add(t.getDraft());
        for (TrajectoryRound r : t.getReflectionRounds()) {
            refs.add(r.getJudgedImage());
            refs.add(r.getFinalImage());
        }
        refs.add(t.getFinalImage());
        for (TrajectoryRevision r : t.getRevisions()) {
            refs.add(r.getImage());
        }
        return refs.stream().filter(r -> r != null && r.getSha256().equals(sha256)).findFirst().orElse(null);
    }

    /**
     * Compares two trajectories field by field through their binary encoding ({@code equals} of generated records
     * cannot compare arrays of records with nullable timestamps).
     *
     * @param a a trajectory
     * @param b another
     * @return true when every field is equal
     */
    public static boolean sameContent(Trajectory a, Trajectory b) {
        try {
            return Trajectory.getEncoder().encode(a).equals(Trajectory.getEncoder().encode(b));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot encode trajectory " + a.getId(), e);
        }
    }

    private static Trajectory fresh(String id, long now) {
        Instant at = Instant.ofEpochMilli(now);
        return Trajectory.newBuilder().setId(id).setStatus(TrajectoryStatus.SUBMITTED).setPendingStep(THINK)
                .setCreatedAt(at).setUpdatedAt(at).setProgressedAt(at).setReflectionRounds(new ArrayList<>())
                .setSteps(new ArrayList<>()).setErrors(new ArrayList<>()).setRevisions(new ArrayList<>()).build();
    }

    private static Trajectory finish(Trajectory current, Trajectory t, long eventTime, long now) {
        Instant eventAt = Instant.ofEpochMilli(eventTime);
        Instant lastEventAt = t.getLastEventAt() == null || eventAt.isAfter(t.getLastEventAt())
                ? eventAt : t.getLastEventAt();
        if (current != null) {
            t.setLastEventAt(current.getLastEventAt());
            if (sameContent(t, current)) {
                return current;
            }
        }
        t.setLastEventAt(lastEventAt);
        t.setRevision((current == null ? 0 : current.getRevision()) + 1);
        t.setUpdatedAt(Instant.ofEpochMilli(now));
        return t;
    }

    private static void mergeContext(Trajectory t, TrajectoryContext c) {
        if (t.getPrompt() != null) {
            return;
        }
        t.setPrompt(c.getPrompt());
        t.setSeed(c.getSeed());
        t.setRounds(c.getRounds());
        t.setSampler(c.getSampler());
        t.setSource(c.getSource());
        t.setSubmittedAt(c.getSubmittedAt());
        t.setDeadline(c.getDeadline());
        t.setTenant(c.getTenant());
        t.setCallbackUrl(c.getCallbackUrl());
        t.setPriority(c.getPriority());
    }

    private static void step(Trajectory t, TrajectoryContext context, String step, int round, Provenance provenance,
            long eventTime, long now, boolean completes, Consumer<Trajectory> merge) {
        mergeContext(t, context);
        List<TrajectoryStep> steps = new ArrayList<>(t.getSteps());
        for (TrajectoryStep s : steps) {
            if (s.getStep().equals(step) && s.getRound() == round) {
                s.setDeliveries(s.getDeliveries() + 1);
                return;
            }
        }
        int previousStage = furthestStage(steps);
        long producedAt = provenance.getProducedAt().toEpochMilli();
        steps.add(TrajectoryStep.newBuilder().setStep(step).setRound(round)
                .setQueueWaitMs(provenance.getQueueWaitMs()).setComputeMs(provenance.getComputeMs())
                .setEndToEndMs(producedAt - context.getSubmittedAt().toEpochMilli()).setDeliveries(1)
                .setRecordedAt(Instant.ofEpochMilli(eventTime)).setProvenance(provenance).build());
        t.setSteps(steps);
        t.setAttempts(t.getAttempts() + provenance.getAttempt());
        t.setCurrentRound(Math.max(t.getCurrentRound(), round));
        merge.accept(t);

        int stage = stage(step, round);
        boolean advanced = completes || stage > previousStage;
        boolean recovered = false;
        switch (t.getStatus()) {
            case COMPLETED, CANCELLED:
                return;
            case EXPIRED:
                if (!completes || t.getDeadline() == null || provenance.getProducedAt().isAfter(t.getDeadline())) {
                    return;
                }
                t.setExpiredStep(null);
                break;
            case FAILED:
                Instant failedAt = lastFailedAt(t);
                if (failedAt != null && !provenance.getProducedAt().isAfter(failedAt)) {
                    return;
                }
                t.setFailureReason(null);
                t.setCompletedAt(null);
                recovered = true;
                break;
            case STALLED:
                if (!advanced) {
                    return;
                }
                t.setStatusBeforeStall(null);
                t.setStalledAt(null);
                break;
            default:
                break;
        }
        if (completes) {
            t.setStatus(TrajectoryStatus.COMPLETED);
            t.setPendingStep(null);
            t.setCompletedAt(Instant.ofEpochMilli(now));
        } else {
            int furthest = Math.max(previousStage, stage);
            t.setStatus(statusAt(furthest));
            t.setPendingStep(pendingAfter(furthest));
        }
        if (advanced || recovered) {
            t.setProgressedAt(Instant.ofEpochMilli(now));
        }
    }

    /** Lists a redriven step result beside the original; the trajectory's path is left as it is. */
    private static void revision(Trajectory t, SpecificRecord event, long eventTime) {
        Provenance p = Revisions.provenance(event);
        TrajectoryRevision.Builder r = TrajectoryRevision.newBuilder().setRevision(p.getRevision()).setProvenance(p)
                .setDeliveries(1).setRecordedAt(Instant.ofEpochMilli(eventTime));
        if (event instanceof ThoughtProduced e) {
            mergeContext(t, e.getContext());
            r.setStep(THINK).setRound(0).setText(e.getThought());
        } else if (event instanceof DraftImageProduced e) {
            mergeContext(t, e.getContext());
            r.setStep(DRAW).setRound(0).setImage(e.getImage());
        } else if (event instanceof ReflectionProduced e) {
            mergeContext(t, e.getContext());
            r.setStep(REFLECT).setRound(e.getRound()).setText(e.getReflection()).setVerdict(e.getVerdict());
        } else {
            FinalImageProduced e = (FinalImageProduced) event;
            mergeContext(t, e.getContext());
            r.setStep(REFINE).setRound(e.getRound()).setImage(e.getImage());
        }
        List<TrajectoryRevision> revisions = new ArrayList<>(t.getRevisions());
        for (TrajectoryRevision x : revisions) {
            if (x.getStep().equals(r.getStep()) && x.getRound() == r.getRound() && x.getRevision() == r.getRevision()) {
                x.setDeliveries(x.getDeliveries() + 1);
                t.setRevisions(revisions);
                return;
            }
        }
        revisions.add(r.build());
        t.setRevisions(revisions);
    }

    private static void deadLetter(Trajectory t, DeadLetter d, long now) {
        for (TrajectoryError e : t.getErrors()) {
            if (e.getTopic().equals(d.getTopic()) && e.getPartition() == d.getPartition()
                    && e.getOffset() == d.getOffset()) {
                return;
            }
        }
        List<TrajectoryError> errors = new ArrayList<>(t.getErrors());
        errors.add(TrajectoryError.newBuilder().setStep(d.getStep()).setErrorClass(d.getErrorClass())
                .setErrorMessage(d.getErrorMessage()).setAttempts(d.getAttempts())
                .setFirstFailedAt(d.getFirstFailedAt()).setLastFailedAt(d.getLastFailedAt())
                .setWorkerId(d.getWorkerId()).setTopic(d.getTopic()).setPartition(d.getPartition())
                .setOffset(d.getOffset()).build());
        t.setErrors(errors);
        t.setAttempts(t.getAttempts() + d.getAttempts());
        if (t.getStatus() == TrajectoryStatus.COMPLETED || t.getStatus() == TrajectoryStatus.CANCELLED
                || t.getStatus() == TrajectoryStatus.EXPIRED) {
            return;
        }
        if (t.getStatus() != TrajectoryStatus.FAILED) {
            t.setCompletedAt(Instant.ofEpochMilli(now));
        }
        t.setStatus(TrajectoryStatus.FAILED);
        t.setFailureReason(d.getStep() + ": " + d.getErrorMessage());
        t.setPendingStep(null);
        t.setStatusBeforeStall(null);
        t.setStalledAt(null);
    }

    private static void cancel(Trajectory t, CancellationRequested c, long now) {
        if (c.getDeadline() != null) {
            if (t.getDeadline() == null) {
                t.setDeadline(c.getDeadline());
            }
            if (t.getStatus() == TrajectoryStatus.EXPIRED) {
                if (t.getExpiredStep() == null) {
                    t.setExpiredStep(c.getStep());
                }
            } else if (t.getStatus() != TrajectoryStatus.COMPLETED && t.getStatus() != TrajectoryStatus.CANCELLED) {
                markExpired(t, c.getStep(), now);
            }
            return;
        }
        if (t.getStatus() == TrajectoryStatus.CANCELLED || t.getCancelRequestedAt() != null) {
            return;
        }
        t.setCancelRequestedAt(c.getRequestedAt());
        t.setCancelRequestedBy(c.getRequestedBy());
        t.setCancelReason(c.getReason());
        if (t.getStatus() == TrajectoryStatus.COMPLETED || t.getStatus() == TrajectoryStatus.EXPIRED
                || t.getStatus() == TrajectoryStatus.FAILED) {
            // recorded, but the outcome stands: a failure keeps its reason (the API answers 409; a cancellation
            // written to the topic directly, e.g. by the CLI, must not hide it either)
            return;
        }
        t.setStatus(TrajectoryStatus.CANCELLED);
        t.setPendingStep(null);
        t.setCompletedAt(Instant.ofEpochMilli(now));
        t.setStatusBeforeStall(null);
        t.setStalledAt(null);
        t.setFailureReason(null);
    }

    private static void markExpired(Trajectory t, String step, long now) {
        t.setStatus(TrajectoryStatus.EXPIRED);
        t.setExpiredStep(step);
        t.setPendingStep(null);
        t.setCompletedAt(Instant.ofEpochMilli(now));
        t.setStatusBeforeStall(null);
        t.setStalledAt(null);
        t.setFailureReason(null);
    }

    private static Instant lastFailedAt(Trajectory t) {
        return t.getErrors().stream().map(TrajectoryError::getLastFailedAt).max(Comparator.naturalOrder())
                .orElse(null);
    }

    /** The stage order of {@link Step#stage}: 0 prompt, 1 think, 2 draw, then reflect r = 1 + 2r and refine r = 2 + 2r. */
    private static int stage(String step, int round) {
        return Step.parse(step).stage(round);
    }

    private static int furthestStage(List<TrajectoryStep> steps) {
        int furthest = 0;
        for (TrajectoryStep s : steps) {
            furthest = Math.max(furthest, stage(s.getStep(), s.getRound()));
        }
        return furthest;
    }

    private static TrajectoryStatus statusAt(int stage) {
        return switch (stage) {
            case 0 -> TrajectoryStatus.SUBMITTED;
            case 1 -> TrajectoryStatus.THOUGHT;
            case 2 -> TrajectoryStatus.DRAFTED;
            default -> TrajectoryStatus.REFLECTED;
        };
    }

    private static String pendingAfter(int stage) {
        return Step.after(stage).id();
    }

    private static void fillThought(Trajectory t, String thought) {
        if (t.getThought() == null) {
            t.setThought(thought);
        }
    }

    private static void fillRound(TrajectoryRound r, ImageRef judged, String reflection,
            io.irgstream.events.Verdict verdict) {
        if (r.getJudgedImage() == null) {
            r.setJudgedImage(judged);
        }
        if (r.getReflection() == null) {
            r.setReflection(reflection);
        }
        if (r.getVerdict() == null) {
            r.setVerdict(verdict);
        }
    }

    private static void updateRound(Trajectory t, int round, Consumer<TrajectoryRound> update) {
        List<TrajectoryRound> rounds = new ArrayList<>(t.getReflectionRounds());
        TrajectoryRound entry = rounds.stream().filter(r -> r.getRound() == round).findFirst().orElse(null);
        if (entry == null) {
            entry = TrajectoryRound.newBuilder().setRound(round).build();
            rounds.add(entry);
            rounds.sort(Comparator.comparingInt(TrajectoryRound::getRound));
        }
        update.accept(entry);
        t.setReflectionRounds(rounds);
    }

    private static void addSha(Set<String> shas, ImageRef ref) {
        if (ref != null) {
            shas.add(ref.getSha256());
        }
    }
}
