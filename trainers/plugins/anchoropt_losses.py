"""AnchorOPT stage-II numerics: the sampled position matrix and the ensemble-distillation loss."""
import torch.nn.functional as F


def sample_position_matrix(position_logits, gumbel_temperature):
    """Hard Gumbel-softmax over each row of Π: one-hot rows forward, straight-through softmax backward.

    Rows are sampled independently (not a permutation: slots may repeat or drop a token). The
    Gumbel noise comes from the global torch RNG, one fresh draw per call, as upstream.
    """
    return F.gumbel_softmax(position_logits.float(), tau=gumbel_temperature, hard=True, dim=-1)


def argmax_position_matrix(position_logits):
    """Deterministic test-time positions: the row-wise argmax of Π without noise (TEST_POSITION=argmax)."""
    index = position_logits.argmax(dim=-1)
    return F.one_hot(index, position_logits.shape[-1]).to(position_logits.dtype)


def ensemble_kd_loss(prompt_logits, anchor_logits, temperature):
    """``T² · KL(p_teacher ‖ p_student)`` summed and divided by ``B·C`` (not batchmean).

    The teacher is the detached average of both branches, so it includes the student's own logits.
    """
    teacher = ((prompt_logits + anchor_logits) / 2).detach()
    teacher_probs = F.softmax(teacher / temperature, dim=-1)
    student_log_probs = F.log_softmax(prompt_logits / temperature, dim=-1)
    return temperature**2 * F.kl_div(student_log_probs, teacher_probs, reduction="none").mean()


def anchoropt_loss(prompt_logits, anchor_logits, labels, ce_weight, kd_weight, kd_temperature):
    """``λ_CE · CE(z_n, y) + λ_KD · L_KD``; the KD term is skipped when λ_KD = 0 (upstream gives NaN there)."""
    loss = ce_weight * F.cross_entropy(prompt_logits, labels)
    if kd_weight == 0:
        return loss
    if kd_temperature <= 0:
        raise ValueError(f"TRAINER.ANCHOROPT.KD_TEMPERATURE must be > 0 when KD_WEIGHT != 0 (got {kd_temperature})")
    return loss + kd_weight * ensemble_kd_loss(prompt_logits, anchor_logits, kd_temperature)
