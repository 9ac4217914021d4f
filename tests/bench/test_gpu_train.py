"""The GPU benchmark cannot run here (no GPU): run its code on the CPU at toy size, so the
prepared script is known to work when a GPU is lent."""

from bench import gpu_train


def test_gpu_benchmark_runs_the_training_step_on_cpu():
    result = gpu_train.main(["--device", "cpu", "--images", "64", "--image-size", "32",
                             "--batch", "4", "--steps", "2", "--warmup", "1",
                             "--precision", "fp32"])
    assert result["backbone"] == "vgg13" and result["steps"] == 2
    assert result["images_resident_bytes"] == 64 * 32 * 32 * 3
    assert result["triplets_per_s"] > 0
    assert abs(result["images_per_s"] - 3 * result["triplets_per_s"]) < 0.2
    # 12 images through VGG13 forward and backward: about 3x the forward's 2 * MACs
    assert result["flops_per_step"] > 12 * 2 * 0.2e9


def test_negatives_share_the_positive_type():
    import torch

    types = torch.randint(0, gpu_train.N_TYPES, (500,))
    a, p, n, o = gpu_train.synthetic_triplets(500, 2000, types, seed=1)
    assert torch.equal(types[p], types[n])
    assert int(o.max()) < 100
