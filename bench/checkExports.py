#!/usr/bin/python3
"""Checks NetSprout exports with Debian's python3-onnx and python3-h5py (not part of npm test).

usage: /usr/bin/python3 bench/checkExports.py EXPORT_FOLDER [EXPORT_FOLDER ...]

For each folder: onnx.checker.check_model (full check, with shape inference) on model.onnx, its IR version,
opset, inputs, outputs and metadata keys; and the HDF5 tree of model.weights.h5 inside model.keras (every
group and dataset with its shape and dtype, and attributes), with config.json's layer classes beside it, for
comparison with the layout Keras 3 writes (layers/<snake_case class name + counter>/vars/<i>).
Prints one JSON object per folder on the last lines; exits 1 when a check fails.
"""
import io
import json
import sys
import zipfile

import h5py
import numpy as np
import onnx


def check_onnx(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    bn_eps = sorted({a.f for n in model.graph.node if n.op_type == 'BatchNormalization' for a in n.attribute if a.name == 'epsilon'})
    return {
        'ok': True,
        'ir_version': model.ir_version,
        'opset': [(o.domain or 'ai.onnx', o.version) for o in model.opset_import],
        'inputs': [(i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type), dims(i)) for i in model.graph.input],
        'outputs': [(o.name, onnx.TensorProto.DataType.Name(o.type.tensor_type.elem_type), dims(o)) for o in inferred.graph.output],
        'nodes': len(model.graph.node),
        'ops': sorted({n.op_type for n in model.graph.node}),
        'batchnorm_epsilons': bn_eps,
        'metadata_keys': sorted(p.key for p in model.metadata_props),
    }


def h5_tree(f):
    rows = []

    def visit(name, obj):
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in obj.attrs.items()}
        if isinstance(obj, h5py.Dataset):
            rows.append(f'{name}  {list(obj.shape)} {obj.dtype}' + (f'  attrs={attrs}' if attrs else ''))
        else:
            rows.append(f'{name}/' + (f'  attrs={attrs}' if attrs else ''))

    f.visititems(visit)
    return rows


def check_keras(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        stored = all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        config = json.loads(z.read('config.json'))
        metadata = json.loads(z.read('metadata.json'))
        with h5py.File(io.BytesIO(z.read('model.weights.h5')), 'r') as f:
            tree = h5_tree(f)
            values = sum(int(np.prod(d.shape)) for d in _datasets(f))
    layers = config['config']['layers']
    return {
        'ok': True,
        'members': names,
        'stored_uncompressed': stored,
        'keras_version': metadata.get('keras_version'),
        'model_class': [config.get('module'), config.get('class_name'), config.get('registered_name')],
        'layer_classes': [f"{l['class_name']}:{l['config']['name']}" for l in layers],
        'h5_tree': tree,
        'h5_values': values,
    }


def _datasets(f):
    out = []
    f.visititems(lambda n, o: out.append(o) if isinstance(o, h5py.Dataset) else None)
    return out


def main(folders):
    failed = False
    for folder in folders:
        result = {'folder': folder}
        for key, fn, name in (('onnx', check_onnx, 'model.onnx'), ('keras', check_keras, 'model.keras')):
            try:
                result[key] = fn(f'{folder}/{name}')
            except FileNotFoundError:
                result[key] = {'ok': None, 'reason': f'{name} not exported'}
            except Exception as e:  # a failed check is the finding
                result[key] = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
                failed = True
        print(json.dumps(result))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
