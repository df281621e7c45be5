"""Model plumbing shared by both agents: model factory, scripted model, turn guards."""
