package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NewRenoTest {

    private static final int MSS = 1000;
    private static final int ISS = 0x7fff_ff00; // exercise wraparound of recover comparisons

    private final NewReno cc = new NewReno();

    NewRenoTest() {
        cc.reset(MSS, ISS);
    }

    @Test
    void initialWindowIsRfc6928() {
        assertThat(NewReno.initialWindow(1460)).isEqualTo(14_600);
        assertThat(NewReno.initialWindow(1000)).isEqualTo(10_000);
        assertThat(NewReno.initialWindow(9000)).isEqualTo(18_000); // max(2*MSS, 14600) caps
        assertThat(NewReno.initialWindow(536)).isEqualTo(5_360);
        assertThat(cc.cwnd()).isEqualTo(10_000);
        assertThat(cc.ssthresh()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void slowStartCountsBytesWithLimitTwoSegments() {
        int una = ISS + 1;
        assertThat(cc.onAck(una + 1000, 1000, 9000, una + 10_000)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.cwnd()).isEqualTo(11_000);
        cc.onAck(una + 4000, 3000, 6000, una + 10_000); // stretch ACK of 3 segments: L = 2
        assertThat(cc.cwnd()).isEqualTo(13_000);
        cc.onAck(una + 4500, 500, 5500, una + 10_000);
        assertThat(cc.cwnd()).isEqualTo(13_500);
    }

    @Test
    void congestionAvoidanceGrowsOneSegmentPerWindow() {
        cc.onTimeout(20_000, ISS + 1, false); // ssthresh 10000, cwnd 1000
        assertThat(cc.ssthresh()).isEqualTo(10_000);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        int ack = ISS + 1;
        while (cc.cwnd() < cc.ssthresh()) {
            ack += MSS;
            cc.onAck(ack, MSS, 0, ack);
        }
        assertThat(cc.cwnd()).isEqualTo(10_000);
        // now in congestion avoidance: 10 ACKs of 1000 bytes add exactly one MSS
        for (int i = 0; i < 9; i++) {
            ack += MSS;
            cc.onAck(ack, MSS, 0, ack);
            assertThat(cc.cwnd()).isEqualTo(10_000);
        }
        ack += MSS;
        cc.onAck(ack, MSS, 0, ack);
        assertThat(cc.cwnd()).isEqualTo(11_000);
        // next window needs 11000 bytes
        for (int i = 0; i < 10; i++) {
            ack += MSS;
            cc.onAck(ack, MSS, 0, ack);
        }
        assertThat(cc.cwnd()).isEqualTo(11_000);
        ack += MSS;
        cc.onAck(ack, MSS, 0, ack);
        assertThat(cc.cwnd()).isEqualTo(12_000);
    }

    @Test
    void fastRetransmitOnTheThirdDupAckThenInflateThenFullAck() {
        int una = ISS + 1;
        int nxt = una + 10_000; // 10 segments out, the first lost
        assertThat(cc.onDupAck(una, 10_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.onDupAck(una, 10_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.onDupAck(una, 10_000, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.inRecovery()).isTrue();
        assertThat(cc.ssthresh()).isEqualTo(5_000);
        assertThat(cc.cwnd()).isEqualTo(8_000); // ssthresh + 3 MSS
        assertThat(cc.recover()).isEqualTo(nxt - 1);
        cc.onDupAck(una, 10_000, nxt);
        assertThat(cc.cwnd()).isEqualTo(9_000);
        // the retransmission fills the hole: everything up to nxt acknowledged
        assertThat(cc.onAck(nxt, 10_000, 0, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(1_000 + MSS); // min(ssthresh, max(0, MSS) + MSS)
        assertThat(cc.dupAcks()).isZero();
    }

    @Test
    void fullAckWithDataStillOutstandingGoesToSsthresh() {
        int una = ISS + 1;
        int nxt = una + 20_000;
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(una, 20_000, nxt);
        }
        assertThat(cc.ssthresh()).isEqualTo(10_000);
        // new data sent during recovery; full ACK covers the old recover point
        cc.onAck(nxt, 20_000, 15_000, nxt + 15_000);
        assertThat(cc.cwnd()).isEqualTo(10_000);
    }

    @Test
    void partialAcksRetransmitDeflateAndRestartTheTimerOnce() {
        int una = ISS + 1;
        int nxt = una + 10_000; // segments 0 and 5 lost
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(una, 10_000, nxt);
        }
        cc.onDupAck(una, 10_000, nxt);
        cc.onDupAck(una, 10_000, nxt); // cwnd 5000 + 3000 + 2000 = 10000
        assertThat(cc.cwnd()).isEqualTo(10_000);
        int actions = cc.onAck(una + 5_000, 5_000, 5_000, nxt); // partial: 5 segments
        assertThat(actions).isEqualTo(CongestionControl.RETRANSMIT | CongestionControl.RESTART_TIMER);
        assertThat(cc.cwnd()).isEqualTo(10_000 - 5_000 + MSS);
        assertThat(cc.inRecovery()).isTrue();
        actions = cc.onAck(una + 5_500, 500, 4_500, nxt); // partial of less than an MSS
        assertThat(actions).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.cwnd()).isEqualTo(5_500);
        // ACK exactly at recover (covers all but the last byte sent) is still partial
        actions = cc.onAck(nxt - 1, 4_499, 1, nxt);
        assertThat(actions & CongestionControl.RETRANSMIT).isNotZero();
        assertThat(cc.inRecovery()).isTrue();
        cc.onAck(nxt, 1, 0, nxt);
        assertThat(cc.inRecovery()).isFalse();
    }

    @Test
    void noSecondFastRetransmitForTheSameWindowAfterATimeout() {
        int una = ISS + 1;
        int nxt = una + 10_000;
        cc.onTimeout(10_000, nxt, false);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        assertThat(cc.ssthresh()).isEqualTo(5_000);
        assertThat(cc.recover()).isEqualTo(nxt - 1);
        // dupacks from the old window, below recover: no fast retransmit (RFC 6582 §3.2 step 2)
        for (int i = 0; i < 5; i++) {
            assertThat(cc.onDupAck(una + 3_000, 7_000, nxt)).isEqualTo(CongestionControl.NONE);
        }
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(MSS);
        // after the ACK passes recover, three dupacks do trigger it
        cc.onAck(nxt, 7_000, 0, nxt + 4000);
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(nxt, 4_000, nxt + 4_000);
        }
        assertThat(cc.inRecovery()).isTrue();
    }

    @Test
    void repeatedTimeoutsHoldSsthresh() {
        cc.onTimeout(40_000, ISS + 1, false);
        assertThat(cc.ssthresh()).isEqualTo(20_000);
        cc.onTimeout(1_000, ISS + 1, true);
        assertThat(cc.ssthresh()).isEqualTo(20_000);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        cc.onTimeout(1_000, ISS + 1, false);
        assertThat(cc.ssthresh()).isEqualTo(2 * MSS); // floor
    }

    @Test
    void timeoutAbandonsRecovery() {
        int una = ISS + 1;
        int nxt = una + 10_000;
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(una, 10_000, nxt);
        }
        cc.onTimeout(10_000, nxt, false);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(MSS);
    }

    @Test
    void sackRecoveryKeepsCwndAtSsthreshUntilRecover() {
        int una = ISS + 1;
        int nxt = una + 20_000;
        assertThat(cc.enterSackRecovery(una, 20_000, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.inSackRecovery()).isTrue();
        assertThat(cc.cwnd()).isEqualTo(10_000).isEqualTo(cc.ssthresh());
        assertThat(cc.enterSackRecovery(una, 20_000, nxt)).isEqualTo(CongestionControl.NONE);
        cc.onDupAck(una, 20_000, nxt);
        assertThat(cc.cwnd()).isEqualTo(10_000);
        assertThat(cc.onAck(una + 5000, 5000, 15_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.cwnd()).isEqualTo(10_000);
        cc.onAck(nxt, 15_000, 0, nxt);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(10_000);
    }

    @Test
    void idleRestartShrinksToTheInitialWindow() {
        int ack = ISS + 1;
        for (int i = 0; i < 20; i++) {
            ack += 2 * MSS;
            cc.onAck(ack, 2 * MSS, 0, ack);
        }
        assertThat(cc.cwnd()).isEqualTo(50_000);
        cc.restartAfterIdle();
        assertThat(cc.cwnd()).isEqualTo(10_000);
        cc.onTimeout(0, ack, false);
        cc.restartAfterIdle();
        assertThat(cc.cwnd()).isEqualTo(MSS);
    }
}
