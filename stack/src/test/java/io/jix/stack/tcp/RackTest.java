package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RACK's bookkeeping (RFC 8985 §6) without a connection: times in ms, segments of 100 bytes. */
class RackTest {

    private static final long MS = 1_000_000L;

    private static Rack sentFive() {
        Rack r = new Rack(64);
        r.reset(1000);
        r.rttSample(10 * MS);
        for (int i = 0; i < 5; i++) {
            r.sent(1000 + 100 * i, 100, false, 100 * MS);
        }
        return r;
    }

    @Test
    void aSegmentSentBeforeADeliveredOneIsLostOnceRttPlusReoWndHasPassed() {
        Rack r = sentFive();
        r.sacked(1100, 1200, 110 * MS);
        long reo = r.reoWnd(false, 10 * MS);
        assertThat(reo).as("min_RTT / 4").isEqualTo(10 * MS / 4);
        long wait = r.detectLoss(110 * MS, reo);
        assertThat(wait).as("the reorder timer: the first segment is not lost yet").isEqualTo(reo);
        assertThat(r.hasLost()).isFalse();
        assertThat(r.detectLoss(110 * MS + reo, reo)).isZero();
        assertThat(r.takeNewlyLost()).isEqualTo(1);
        assertThat(r.firstLost()).isZero();
        assertThat(r.pipe(1000, 1500)).as("neither SACKed nor lost").isEqualTo(300);
    }

    @Test
    void aLostRetransmissionIsLostAgainWhenSomethingSentAfterItIsDelivered() {
        Rack r = sentFive();
        r.sacked(1100, 1400, 110 * MS);
        r.detectLoss(110 * MS, r.reoWnd(false, 10 * MS));
        assertThat(r.takeNewlyLost()).as("three SACKed: reo_wnd is 0").isEqualTo(1);
        r.sent(1000, 100, false, 111 * MS);             // the retransmission
        assertThat(r.hasLost()).isFalse();
        r.sent(1500, 100, false, 112 * MS);             // new data after it
        r.sacked(1400, 1600, 122 * MS);
        r.detectLoss(122 * MS, r.reoWnd(true, 10 * MS));
        assertThat(r.takeNewlyLost()).as("the retransmission, 11 ms old with RACK.rtt 10 ms").isEqualTo(1);
        assertThat(r.start(r.firstLost())).isEqualTo(1000);
    }

    @Test
    void reorderingIsSeenAndKeepsTheWindowOpenInRecovery() {
        Rack r = sentFive();
        r.sacked(1200, 1300, 110 * MS);
        assertThat(r.reoWnd(true, 10 * MS)).as("no reordering seen: 0 in recovery").isZero();
        r.sacked(1100, 1200, 111 * MS); // delivered below what was delivered first, never retransmitted
        assertThat(r.reoWnd(true, 10 * MS)).isEqualTo(10 * MS / 4);
    }

    @Test
    void dsacksWidenTheReorderWindowOncePerRoundTripAndSixteenRecoveriesUndoIt() {
        Rack r = sentFive();
        r.sacked(1100, 1200, 110 * MS);
        r.sacked(1000, 1100, 111 * MS); // reordering seen
        long base = r.reoWnd(false, 100 * MS);
        r.updateReoWnd(true, 1000, 1500);
        assertThat(r.reoWnd(false, 100 * MS)).isEqualTo(2 * base);
        r.updateReoWnd(true, 1100, 1500);
        assertThat(r.reoWnd(false, 100 * MS)).as("the same round trip").isEqualTo(2 * base);
        r.updateReoWnd(true, 1500, 1600);
        assertThat(r.reoWnd(false, 100 * MS)).isEqualTo(3 * base);
        assertThat(r.reoWnd(false, 5 * MS)).as("at most SRTT").isEqualTo(5 * MS);
        for (int i = 0; i < 15; i++) {
            r.recoveryEnded();
        }
        assertThat(r.reoWnd(false, 100 * MS)).isEqualTo(3 * base);
        r.recoveryEnded();
        assertThat(r.reoWnd(false, 100 * MS)).isEqualTo(base);
    }

    @Test
    void aPartialRetransmissionSplitsTheRecordAndTheFullRingMergesNewSegments() {
        Rack r = sentFive();
        r.sacked(1100, 1400, 110 * MS);
        r.detectLoss(110 * MS, 0);
        r.sent(1000, 60, false, 111 * MS); // SACK blocks left room for 60 bytes only
        assertThat(r.records()).isEqualTo(6);
        assertThat(r.start(r.firstLost())).isEqualTo(1060);
        assertThat(r.pipe(1000, 1500)).isEqualTo(60 + 100);
        Rack small = new Rack(2);
        small.reset(0);
        small.sent(0, 100, false, 1);
        small.sent(100, 100, false, 2);
        small.sent(200, 101, true, 3);
        assertThat(small.records()).isEqualTo(2);
        assertThat(small.end(1)).isEqualTo(301);
        assertThat(small.fin(1)).isTrue();
    }

    @Test
    void aRetransmittedProbeAcknowledgedBeyondItRepairedALossUnlessDsacked() {
        Rack r = sentFive();
        r.probeSent(1500, true);
        assertThat(r.probeRepairedLoss(1400, false)).isFalse();
        assertThat(r.probeOut()).isTrue();
        assertThat(r.probeRepairedLoss(1600, true)).as("D-SACK: the probe was spurious").isFalse();
        assertThat(r.probeOut()).isFalse();
        r.probeSent(1500, true);
        assertThat(r.probeRepairedLoss(1600, false)).isTrue();
        r.probeSent(1500, false);
        assertThat(r.probeRepairedLoss(1600, false)).as("new data: RACK finds the losses").isFalse();
    }
}
