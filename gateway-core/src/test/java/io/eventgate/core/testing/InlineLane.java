package io.eventgate.core.testing;

import io.eventgate.core.hub.Lane;

/** A lane for tests whose thread is every caller's: tasks run at once, and every caller is in the lane. */
public abstract class InlineLane implements Lane {

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public boolean inLane() {
        return true;
    }
}
