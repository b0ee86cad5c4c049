package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The perturbation job queue keeps one int per job into a table of its sets (an array queued again reuses
 * its entries) and reads the chain test of a permutation's next step from the table where two jobs' entries
 * are neighbours. Each queue below is checked against the definition applied to the jobs as queued: job
 * {@code j} continues job {@code j - 1} when both have no source row, the same example, and {@code j}'s set
 * is {@code j - 1}'s feature order with one more feature restored; the average elements changed per row
 * counts a chained job's one restored feature and any other job's whole set.
 */
class JobQueueTest {
    private static final int[][] MEMBERS = {{0}, {1, 2}, {3}, {4, 5, 6}};
    private static final int[] ORDER = {2, 0, 3, 1};
    private static final int[] OTHER_ORDER = {1, 3, 0, 2};

    /** One queued job as the test recorded it. */
    private record Job(int example, Perturbations.ElementSet set, double[] source) {
    }

    private final List<Job> jobs = new ArrayList<>();
    private final Perturbations p = new Perturbations(null, new double[][][] {{new double[7]}, {new double[7]},
            {new double[7]}});

    private void add(int n, Perturbations.ElementSet[] sets) {
        int first = p.add(n, sets);
        assertThat(first).isEqualTo(jobs.size());
        for (Perturbations.ElementSet s : sets) {
            jobs.add(new Job(n, s, null));
        }
    }

    private void add(int n, Perturbations.ElementSet set, double[] source) {
        assertThat(p.add(n, set, source)).isEqualTo(jobs.size());
        jobs.add(new Job(n, set, source));
    }

    /** Each permutation step made here: its feature order and the first absent position. */
    private record Step(int[] order, int from) {
    }

    private final java.util.Map<Perturbations.ElementSet, Step> steps = new java.util.IdentityHashMap<>();

    private Perturbations.ElementSet[] tails(int[] order, int from, int to) {
        Perturbations.ElementSet[] t = new Perturbations.ElementSet[to - from];
        for (int k = from; k < to; k++) {
            t[k - from] = Perturbations.ElementSet.ofTail(MEMBERS, order, k);
            steps.put(t[k - from], new Step(order, k));
        }
        return t;
    }

    /** The definition, on the recorded jobs. */
    private boolean[] expectedChained() {
        boolean[] c = new boolean[jobs.size()];
        for (int j = 1; j < c.length; j++) {
            Job a = jobs.get(j - 1);
            Job b = jobs.get(j);
            Step sa = steps.get(a.set());
            Step sb = steps.get(b.set());
            c[j] = a.source() == null && b.source() == null && a.example() == b.example() && sa != null
                    && sb != null && sa.order() == sb.order() && sb.from() == sa.from() + 1;
        }
        return c;
    }

    private void check() {
        int count = p.queued();
        assertThat(count).isEqualTo(jobs.size());
        for (int j = 0; j < count; j++) {
            assertThat(p.set(j)).as("job %d's set", j).isSameAs(jobs.get(j).set());
        }
        boolean[] expected = expectedChained();
        assertThat(p.chained(count)).isEqualTo(expected);
        long changed = 0;
        for (int j = 0; j < count; j++) {
            if (expected[j]) {
                // the one feature restored: the first of the step before's absent features
                Step before = steps.get(jobs.get(j - 1).set());
                changed += MEMBERS[before.order()[before.from()]].length;
            } else {
                int[] n = {0};
                jobs.get(j).set().forEach(e -> n[0]++);
                changed += n[0];
            }
        }
        assertThat(p.changedPerRow(count, p.chained(count))).isEqualTo((double) changed / count);
    }

    @Test
    void anArrayQueuedForSeveralExamples_sharesItsEntries_andEachJobKeepsItsSet() {
        Perturbations.ElementSet[] perm = tails(ORDER, 0, 5);
        Perturbations.ElementSet[] other = tails(OTHER_ORDER, 0, 5);
        add(0, perm);
        add(1, perm);
        add(1, perm); // the same array twice for one example: its first step does not continue the last
        add(2, other);
        add(0, perm); // registered earlier, queued again after another array: registered anew
        check();
        assertThat(p.chained(p.queued())).contains(true, false);
    }

    @Test
    void anArrayRefilledBetweenTwoCalls_isRegisteredAgain_neverServedItsOldSets() {
        Perturbations.ElementSet[] buffer = tails(ORDER, 0, 5);
        add(0, buffer);
        Perturbations.ElementSet[] refill = tails(OTHER_ORDER, 0, 5);
        System.arraycopy(refill, 0, buffer, 0, buffer.length); // the same array object, other sets
        add(1, buffer);
        check(); // each job's set is the one the array held when it was queued
    }

    @Test
    void aStepRegisteredApartFromTheStepBeforeIt_isStillChained() {
        // steps 0-2 as one array, step 3 queued singly: for example 1 the array's entries are reused and
        // step 3 gets an entry of its own after example 0's, so it is not next to step 2's entry
        Perturbations.ElementSet[] head = tails(ORDER, 0, 3);
        Perturbations.ElementSet third = tails(ORDER, 3, 4)[0];
        add(0, head);
        add(0, third, null);
        add(1, head);
        add(1, third, null);
        add(1, tails(ORDER, 4, 5)[0], null);
        check();
        boolean[] c = p.chained(p.queued());
        assertThat(c[3]).isTrue();
        assertThat(c[7]).isTrue();
        assertThat(c[8]).isTrue();
        assertThat(c[4]).isFalse(); // another example
    }

    @Test
    void singleSets_sourceRows_andSetsOfOtherKinds_breakChains() {
        Perturbations.ElementSet[] perm = tails(ORDER, 0, 5);
        add(0, perm[0], null);
        add(0, perm[1], null);
        add(0, perm[2], new double[7]); // a source row: never chained
        add(0, perm[3], null);
        add(0, Perturbations.absent(MEMBERS, new boolean[] {true, false, true, false}), null);
        add(0, perm[4], null);
        add(0, Perturbations.ElementSet.ofFeatures(MEMBERS, 2), null);
        add(1, perm);
        check();
        boolean[] c = p.chained(p.queued());
        assertThat(c[1]).isTrue();
        assertThat(c[2]).isFalse();
        assertThat(c[3]).isFalse();
    }
}
