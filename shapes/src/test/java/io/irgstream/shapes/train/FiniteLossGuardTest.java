package io.irgstream.shapes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.irgstream.shapes.paint.NoThinkModel;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FiniteLossGuardTest {
    private boolean oneDnnBefore;

    @BeforeEach
    void setUp() {
        TorchSetup.init(1);
        oneDnnBefore = torch.globalContext().userEnabledMkldnn();
        torch.globalContext().setUserEnabledMkldnn(true);
    }

    @AfterEach
    void tearDown() {
        torch.globalContext().setUserEnabledMkldnn(oneDnnBefore);
    }

    @Test
    void shouldRestoreTheLastGoodWeightsAfterANonFiniteStep() {
        ModuleParams params = ModuleParams.of(NoThinkModel.create(NoThinkModel.Config.QUICK));
        FiniteLossGuard guard = new FiniteLossGuard(params, 1);
        Tensor w = params.tensors().get(0);
        Tensor good = w.detach().clone();
        poison(params);

        assertFalse(guard.check(Double.NaN, 1.0));

        assertTrue(w.detach().equal(good), "the weights are the last good copy again");
        assertEquals(1, guard.restores());
        assertTrue(guard.check(0.5, 1.0));
        assertTrue(torch.globalContext().userEnabledMkldnn(), "one bad step leaves oneDNN on");
    }

    @Test
    void shouldSwitchOneDnnOffAfterNonFiniteStepsInARowAndSayIt() {
        ModuleParams params = ModuleParams.of(NoThinkModel.create(NoThinkModel.Config.QUICK));
        List<String> log = new ArrayList<>();
        FiniteLossGuard guard = new FiniteLossGuard(params, 1, log::add);
        for (int i = 1; i < FiniteLossGuard.ONEDNN_OFF_AFTER; i++) {
            assertFalse(guard.check(Double.POSITIVE_INFINITY, 1.0));
        }
        assertTrue(guard.check(0.5, 1.0), "a finite step resets the count");
        for (int i = 1; i < FiniteLossGuard.ONEDNN_OFF_AFTER; i++) {
            assertFalse(guard.check(0.5, Double.NaN));
        }
        assertTrue(torch.globalContext().userEnabledMkldnn());
        assertFalse(guard.switchedOneDnnOff());

        assertFalse(guard.check(Double.NaN, Double.NaN));

        assertFalse(torch.globalContext().userEnabledMkldnn());
        assertTrue(guard.switchedOneDnnOff());
        assertEquals(1, log.size());
        assertTrue(log.get(0).contains("oneDNN switched off"), log.get(0));
    }

    @Test
    void shouldRestoreWhenTheWeightsThemselvesTurnNonFinite() {
        ModuleParams params = ModuleParams.of(NoThinkModel.create(NoThinkModel.Config.QUICK));
        FiniteLossGuard guard = new FiniteLossGuard(params, 1);
        Tensor good = params.tensors().get(0).detach().clone();
        poison(params);

        assertFalse(guard.applied());

        assertTrue(params.tensors().get(0).detach().equal(good));
        assertEquals(1, guard.restores());
    }

    private static void poison(ModuleParams params) {
        try (NoGradGuard g = new NoGradGuard()) {
            params.tensors().get(0).detach().fill_(new Scalar(Double.NaN));
        }
    }
}
